namespace Roundabout.Transactions.Protocol;

/// <summary>The protocol side of one transactional state (a slot), whatever its type.</summary>
internal interface ITransactionParticipant
{
    Task<Vote> Prepare(PrepareRequest request);

    Task<Vote> PrepareAndCommit(PrepareRequest request);

    Task Commit(Guid transactionId, long commitTimestamp);

    Task Abort(Guid transactionId);

    Task<bool> WaitForCommitAfter(long timestamp, TimeSpan timeout);
}
