using Orleans.Concurrency;
using Orleans.Transactions.Abstractions;
using Roundabout.State;

namespace Roundabout.Tests.TestGrains;

[GenerateSerializer]
public sealed class CounterState
{
    [Id(0)]
    public long Value { get; set; }
}

/// <summary>A transactional counter that can report how many committed versions its state keeps in memory.</summary>
public interface IVersionedCounterGrain : IGrainWithStringKey
{
    [Transaction(TransactionOption.CreateOrJoin)]
    Task<long> Increment();

    [Transaction(TransactionOption.CreateOrJoin)]
    [ReadOnly]
    Task<long> Get();

    /// <summary>Not transactional: the length of the state's version chain right now.</summary>
    [AlwaysInterleave]
    Task<int> GetRetainedVersionCount();
}

public sealed class VersionedCounterGrain([TransactionalState("s")] ITransactionalState<CounterState> state) : Grain, IVersionedCounterGrain
{
    public Task<long> Increment() => state.PerformUpdate(s => ++s.Value);

    public Task<long> Get() => state.PerformRead(s => s.Value);

    public Task<int> GetRetainedVersionCount() =>
        Task.FromResult(((RoundaboutTransactionalState<CounterState>)state).RetainedVersionCount);
}
