using Orleans.Concurrency;
using Orleans.Transactions;

namespace Roundabout.Transactions;

/// <summary>Lets a client's transactions be committed by a silo's coordinator.</summary>
public interface ITransactionCoordinatorGrain : IGrainWithIntegerKey
{
    Task Resolve(TransactionInfo info);

    Task Abort(TransactionInfo info);
}

[StatelessWorker]
[Reentrant]
internal sealed class TransactionCoordinatorGrain(TransactionCoordinator coordinator) : Grain, ITransactionCoordinatorGrain
{
    public Task Resolve(TransactionInfo info) => coordinator.ResolveAsync(info);

    public Task Abort(TransactionInfo info) => coordinator.AbortAsync(info);
}
