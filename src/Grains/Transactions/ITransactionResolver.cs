using Orleans.Transactions;
using Roundabout.Hosting;
using Roundabout.Transactions.OneRound;
using Roundabout.Transactions.Protocol;

namespace Roundabout.Transactions;

/// <summary>Where the agent sends a transaction to be committed or aborted.</summary>
internal interface ITransactionResolver
{
    /// <summary>Commits, or throws: a conflict as <see cref="TransactionConflictException"/>, an unknown outcome as <see cref="OrleansTransactionInDoubtException"/>.</summary>
    Task ResolveAsync(TransactionInfo info);

    /// <summary>Drops the transaction's tentative writes. Never throws.</summary>
    Task AbortAsync(TransactionInfo info);

    /// <summary>
    /// The ordering domain of the store this resolver records decisions in, if it is known here
    /// and promises one (see <see cref="Storage.IRecordStore.OrderingDomain"/>); null otherwise.
    /// </summary>
    Guid? DecisionOrdering { get; }

    /// <summary>Commits a one-round transaction whose parts all voted yes; throws like <see cref="ResolveAsync"/>.</summary>
    Task CommitPreparedAsync(OneRoundTicket ticket, PreparedPart[] parts);

    /// <summary>Drops the prepared writes of a one-round transaction that will not commit. Never throws.</summary>
    Task AbortPreparedAsync(Guid transactionId, ParticipantId[] written);
}

/// <summary>On a silo: the coordinator runs right here.</summary>
internal sealed class LocalTransactionResolver(TransactionCoordinator coordinator, CommitDecisions decisions) : ITransactionResolver
{
    public Guid? DecisionOrdering => decisions.OrderingDomain;

    public Task ResolveAsync(TransactionInfo info) => coordinator.ResolveAsync(info);

    public Task AbortAsync(TransactionInfo info) => coordinator.AbortAsync(info);

    public Task CommitPreparedAsync(OneRoundTicket ticket, PreparedPart[] parts) => coordinator.CommitPreparedAsync(ticket, parts);

    public Task AbortPreparedAsync(Guid transactionId, ParticipantId[] written) => coordinator.AbortPreparedAsync(transactionId, written);
}

/// <summary>On a client: a silo's coordinator does it, through a stateless worker.</summary>
internal sealed class RemoteTransactionResolver(GrainReferences references) : ITransactionResolver
{
    private ITransactionCoordinatorGrain Coordinator => references.Get<ITransactionCoordinatorGrain>(0);

    /// <summary>Unknown here: the silo that records the decision is chosen per call, so parts wait for their own disk.</summary>
    public Guid? DecisionOrdering => null;

    public async Task ResolveAsync(TransactionInfo info)
    {
        try
        {
            await Coordinator.Resolve(info);
        }
        catch (Exception exception) when (exception is not OrleansTransactionException)
        {
            throw NoAnswer(info.Id, exception);
        }
    }

    public async Task CommitPreparedAsync(OneRoundTicket ticket, PreparedPart[] parts)
    {
        try
        {
            await Coordinator.CommitPrepared(ticket, parts);
        }
        catch (Exception exception) when (exception is not OrleansTransactionException)
        {
            throw NoAnswer(ticket.TransactionId.ToString(), exception);
        }
    }

    /// <summary>
    /// The coordinator's own outcomes are transaction exceptions; anything else (a time-out, a silo
    /// that went away) means its answer was lost, not that it did nothing: it may have committed.
    /// </summary>
    private static OrleansTransactionInDoubtException NoAnswer(string transactionId, Exception exception) =>
        new(transactionId, $"the coordinator did not answer ({exception.GetType().Name}: {exception.Message}); the transaction may or may not have taken effect", exception);

    public async Task AbortPreparedAsync(Guid transactionId, ParticipantId[] written)
    {
        try
        {
            await Coordinator.AbortPrepared(transactionId, written);
        }
        catch
        {
            // Best effort, as above: a prepared write that is never told presumes abort when it asks.
        }
    }

    public async Task AbortAsync(TransactionInfo info)
    {
        try
        {
            await Coordinator.Abort(info);
        }
        catch
        {
            // Abort is best effort: tentative writes that are never told expire on their own.
        }
    }
}
