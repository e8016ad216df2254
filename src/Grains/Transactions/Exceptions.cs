using Orleans.Transactions;

namespace Roundabout.Transactions;

/// <summary>
/// The transaction conflicted with a concurrent one and did not take effect. Retrying it is safe.
/// The message names the grain and state where the conflict was found.
/// </summary>
[GenerateSerializer]
public sealed class TransactionConflictException : OrleansTransactionTransientFailureException
{
    public TransactionConflictException(string transactionId, string message)
        : base(transactionId, message)
    {
    }

    public TransactionConflictException(string transactionId, string message, Exception? innerException)
        : base(transactionId, message, innerException)
    {
    }
}

/// <summary>
/// The snapshot the transaction reads at is older than the versions that are still kept
/// (for instance after the state was reloaded from storage). Nothing took effect; retry with a new transaction.
/// </summary>
[GenerateSerializer]
public sealed class SnapshotTooOldException : OrleansTransactionTransientFailureException
{
    public SnapshotTooOldException(string transactionId, string message)
        : base(transactionId, message)
    {
    }
}
