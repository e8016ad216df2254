using Orleans.Transactions;
using Roundabout.Transactions.OneRound;
using Roundabout.Transactions.Protocol;

namespace Roundabout.Transactions;

/// <summary>On a silo: the coordinator runs right here.</summary>
internal sealed class LocalTransactionResolver(TransactionCoordinator coordinator, CommitDecisions decisions) : ITransactionResolver
{
    public Guid? DecisionOrdering => decisions.OrderingDomain;

    public Task ResolveAsync(TransactionInfo info) => coordinator.ResolveAsync(info);

    public Task AbortAsync(TransactionInfo info) => coordinator.AbortAsync(info);

    public Task CommitPreparedAsync(OneRoundTicket ticket, PreparedPart[] parts) => coordinator.CommitPreparedAsync(ticket, parts);

    public Task AbortPreparedAsync(Guid transactionId, ParticipantId[] written) => coordinator.AbortPreparedAsync(transactionId, written);
}
