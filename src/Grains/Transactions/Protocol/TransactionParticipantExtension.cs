using Roundabout.Transactions.Committers;

namespace Roundabout.Transactions.Protocol;

internal sealed class TransactionParticipantExtension : ITransactionParticipantExtension
{
    private readonly IGrainContext _context;

    /// <summary>As Orleans makes it, for messages to the activation that is being set up.</summary>
    public TransactionParticipantExtension(IGrainContextAccessor contextAccessor)
        : this(contextAccessor.GrainContext)
    {
    }

    private TransactionParticipantExtension(IGrainContext context) => _context = context;

    /// <summary>
    /// For calls made by code that already runs in <paramref name="context"/>'s turn (the
    /// coordinator of a transaction that this grain runs): the states are called directly, as the
    /// message would call them, without a message. (Not a constructor: Orleans makes the
    /// extension through dependency injection, which must find exactly one.)
    /// </summary>
    public static TransactionParticipantExtension InTurnOf(IGrainContext context) => new(context);

    public async Task<Vote[]> PrepareStates(StatePrepare[] states, PrepareRequest request)
    {
        ArgumentNullException.ThrowIfNull(states);
        ArgumentNullException.ThrowIfNull(request);
        if (states.Length == 1)
        {
            return [await Get(states[0].StateName).Prepare(request with { Writes = states[0].Writes })];
        }

        // The states are independent; their prepares interleave on the grain's scheduler.
        return await Task.WhenAll(states.Select(state => Get(state.StateName).Prepare(request with { Writes = state.Writes })));
    }

    public Task<Vote> PrepareAndCommit(string stateName, PrepareRequest request) => Get(stateName).PrepareAndCommit(request);

    public Task Commit(string stateName, Guid transactionId, long commitTimestamp, Guid? decisionOrdering = null) =>
        Get(stateName).Commit(transactionId, commitTimestamp, decisionOrdering);

    public Task<CommitOperationAnswer> RunCommitOperation(string committerName, Guid transactionId) =>
        Get(committerName) is ICommitOperationParticipant committer
            ? committer.RunCommitOperation(transactionId)
            : throw new InvalidOperationException($"{_context.GrainId}/{committerName} is a transactional state, not a transaction committer.");

    public Task Abort(string stateName, Guid transactionId) => Get(stateName).Abort(transactionId);

    public Task<bool> WaitForCommitAfter(string stateName, long timestamp, TimeSpan timeout) => Get(stateName).WaitForCommitAfter(timestamp, timeout);

    private ITransactionParticipant Get(string stateName) =>
        ParticipantRegistry.GetOrCreate(_context).Get(stateName, _context.GrainId);
}
