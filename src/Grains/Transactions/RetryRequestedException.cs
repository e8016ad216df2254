using Orleans.Transactions;

namespace Roundabout.Transactions;

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
