using Orleans.Transactions;

namespace Roundabout.Transactions;

/// <summary>
/// STM-style blocking: inside a transaction body, <see cref="Retry"/> gives up this attempt and
/// asks the runner to start it again once something the transaction read has changed
/// (for example: wait until a balance covers a withdrawal).
/// </summary>
public static class Stm
{
    /// <summary>Abandons the attempt; the runner waits for a change to what it read, then runs the body again.</summary>
    public static void Retry() => throw new RetryTransactionException();
}

/// <summary>Thrown by <see cref="Stm.Retry"/>: not an error, a request to wait and run again.</summary>
[GenerateSerializer]
public sealed class RetryTransactionException() : Exception("The transaction asked to be retried once something it read changes (Stm.Retry).");

/// <summary>
/// A transaction called <see cref="Stm.Retry"/> and did not take effect. It carries what the
/// transaction read and the snapshot it read at, so that
/// <see cref="IRoundaboutTransactions.WaitForChangeAsync"/> can wait for a newer commit.
/// </summary>
public sealed class RetryRequestedException(IReadOnlyList<ParticipantId> readSet, long readTimestamp)
    : Exception("The transaction called Stm.Retry: run it again after something it read changes.")
{
    public IReadOnlyList<ParticipantId> ReadSet { get; } = readSet;

    public long ReadTimestamp { get; } = readTimestamp;
}
