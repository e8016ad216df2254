using Orleans.Transactions;
using Roundabout.Hosting;

namespace Roundabout.Transactions;

/// <summary>Where the agent sends a transaction to be committed or aborted.</summary>
public interface ITransactionResolver
{
    /// <summary>Commits, or throws: a conflict as <see cref="TransactionConflictException"/>, an unknown outcome as <see cref="OrleansTransactionInDoubtException"/>.</summary>
    Task ResolveAsync(TransactionInfo info);

    /// <summary>Drops the transaction's tentative writes. Never throws.</summary>
    Task AbortAsync(TransactionInfo info);
}

/// <summary>On a silo: the coordinator runs right here.</summary>
internal sealed class LocalTransactionResolver(TransactionCoordinator coordinator) : ITransactionResolver
{
    public Task ResolveAsync(TransactionInfo info) => coordinator.ResolveAsync(info);

    public Task AbortAsync(TransactionInfo info) => coordinator.AbortAsync(info);
}

/// <summary>On a client: a silo's coordinator does it, through a stateless worker.</summary>
internal sealed class RemoteTransactionResolver(GrainReferences references) : ITransactionResolver
{
    private ITransactionCoordinatorGrain Coordinator => references.Get<ITransactionCoordinatorGrain>(0);

    public Task ResolveAsync(TransactionInfo info) => Coordinator.Resolve(info);

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
