using Orleans.Concurrency;
using Orleans.Transactions;
using Roundabout.Transactions.OneRound;

namespace Roundabout.Transactions;

[StatelessWorker]
[Reentrant]
[GrainType(Hosting.RoundaboutGrainTypes.TransactionCoordinator)]
internal sealed class TransactionCoordinatorGrain(TransactionCoordinator coordinator) : Grain, ITransactionCoordinatorGrain
{
    public Task Resolve(TransactionInfo info) => coordinator.ResolveAsync(info);

    public Task Abort(TransactionInfo info) => coordinator.AbortAsync(info);

    public Task CommitPrepared(OneRoundTicket ticket, PreparedPart[] parts) => coordinator.CommitPreparedAsync(ticket, parts);

    public Task AbortPrepared(Guid transactionId, ParticipantId[] written) => coordinator.AbortPreparedAsync(transactionId, written);
}
