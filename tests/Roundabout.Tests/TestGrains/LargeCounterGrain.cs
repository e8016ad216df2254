using Orleans.Concurrency;
using Roundabout.State;

namespace Roundabout.Tests.TestGrains;

/// <summary>A bare transactional counter with no bounds of its own: additions near the ends of a long.</summary>
public interface ILargeCounterGrain : IGrainWithStringKey
{
    /// <summary>True if added; false if the addition would leave the range of a long.</summary>
    [Transaction(TransactionOption.CreateOrJoin)]
    Task<bool> TryAdd(long delta);

    [Transaction(TransactionOption.CreateOrJoin)]
    [ReadOnly]
    Task<long> Read();

    /// <summary>Not transactional and touches nothing: activates the grain, so that its counter loads its record.</summary>
    Task Ping();
}

public sealed class LargeCounterGrain([TransactionalCounter("value")] ITransactionalCounter counter) : Grain, ILargeCounterGrain
{
    public async Task<bool> TryAdd(long delta) => (await counter.TryAdd(delta)).Added;

    public Task<long> Read() => counter.Read();

    public Task Ping() => Task.CompletedTask;
}
