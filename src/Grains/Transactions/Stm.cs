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
