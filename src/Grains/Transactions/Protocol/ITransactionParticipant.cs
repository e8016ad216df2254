namespace Roundabout.Transactions.Protocol;

/// <summary>The protocol side of one transactional state (a slot), whatever its type.</summary>
internal interface ITransactionParticipant
{
    Task<Vote> Prepare(PrepareRequest request);

    Task<Vote> PrepareAndCommit(PrepareRequest request);

    /// <param name="decisionOrdering">See <see cref="ITransactionParticipantExtension.Commit"/>.</param>
    Task Commit(Guid transactionId, long commitTimestamp, Guid? decisionOrdering = null);

    Task Abort(Guid transactionId);

    Task<bool> WaitForCommitAfter(long timestamp, TimeSpan timeout);
}
