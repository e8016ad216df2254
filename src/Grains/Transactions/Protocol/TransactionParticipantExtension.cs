namespace Roundabout.Transactions.Protocol;

internal sealed class TransactionParticipantExtension(IGrainContextAccessor contextAccessor) : ITransactionParticipantExtension
{
    private readonly IGrainContext _context = contextAccessor.GrainContext;

    public Task<Vote> Prepare(string stateName, PrepareRequest request) => Get(stateName).Prepare(request);

    public Task<Vote> PrepareAndCommit(string stateName, PrepareRequest request) => Get(stateName).PrepareAndCommit(request);

    public Task Commit(string stateName, Guid transactionId, long commitTimestamp) => Get(stateName).Commit(transactionId, commitTimestamp);

    public Task Abort(string stateName, Guid transactionId) => Get(stateName).Abort(transactionId);

    public Task<bool> WaitForCommitAfter(string stateName, long timestamp, TimeSpan timeout) => Get(stateName).WaitForCommitAfter(timestamp, timeout);

    private ITransactionParticipant Get(string stateName) =>
        ParticipantRegistry.GetOrCreate(_context).Get(stateName, _context.GrainId);
}
