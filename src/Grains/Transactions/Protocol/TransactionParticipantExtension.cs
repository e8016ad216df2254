using Roundabout.Transactions.Committers;

namespace Roundabout.Transactions.Protocol;

internal sealed class TransactionParticipantExtension(IGrainContextAccessor contextAccessor, CommitInstaller installer) : ITransactionParticipantExtension
{
    private readonly IGrainContext _context = contextAccessor.GrainContext;

    public async Task<PreparedStates> PrepareStates(StatePrepare[] states, PrepareRequest request)
    {
        ArgumentNullException.ThrowIfNull(states);
        ArgumentNullException.ThrowIfNull(request);
        if (states.Length == 1)
        {
            return new([await Get(states[0].StateName).Prepare(request with { Writes = states[0].Writes, Read = states[0].Read })], installer.Instance);
        }

        // The states are independent; their prepares interleave on the grain's scheduler.
        return new(await Task.WhenAll(states.Select(state => Get(state.StateName).Prepare(request with { Writes = state.Writes, Read = state.Read }))), installer.Instance);
    }

    public Task<Vote> PrepareAndCommit(string stateName, PrepareRequest request) => Get(stateName).PrepareAndCommit(request);

    public Task Commit(string stateName, Guid transactionId, long commitTimestamp, Guid? decisionOrdering = null) =>
        Get(stateName).Commit(transactionId, commitTimestamp, decisionOrdering);

    public async Task CommitAndConfirm(string stateName, Guid transactionId, long commitTimestamp, Guid? decisionOrdering)
    {
        try
        {
            await Get(stateName).Commit(transactionId, commitTimestamp, decisionOrdering);
        }
        catch (Exception)
        {
            // Unconfirmed, so the coordinator sends the install again as a call, which reports the
            // failure if it persists. A one-way call has no one to throw to.
            return;
        }

        installer.Confirm(transactionId, _context.GrainId, stateName);
    }

    public Task<CommitOperationAnswer> RunCommitOperation(string committerName, Guid transactionId) =>
        Get(committerName) is ICommitOperationParticipant committer
            ? committer.RunCommitOperation(transactionId)
            : throw new InvalidOperationException($"{_context.GrainId}/{committerName} is a transactional state, not a transaction committer.");

    public Task Abort(string stateName, Guid transactionId) => Get(stateName).Abort(transactionId);

    public Task<bool> WaitForCommitAfter(string stateName, long timestamp, TimeSpan timeout) => Get(stateName).WaitForCommitAfter(timestamp, timeout);

    private ITransactionParticipant Get(string stateName) =>
        ParticipantRegistry.GetOrCreate(_context).Get(stateName, _context.GrainId);
}
