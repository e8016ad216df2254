using Orleans.Transactions;
using Roundabout.Hosting;
using Roundabout.Transactions.OneRound;

namespace Roundabout.Transactions;

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
