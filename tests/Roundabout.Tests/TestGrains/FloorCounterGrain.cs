using Orleans.Concurrency;
using Roundabout.State;
using Roundabout.Transactions.OneRound;

namespace Roundabout.Tests.TestGrains;

/// <summary>A counter whose additions name their own floor, in ordinary and one-round transactions.</summary>
public interface IFloorCounterGrain : IGrainWithStringKey
{
    [Transaction(TransactionOption.CreateOrJoin)]
    Task<bool> AddWithin(long delta, long floor);

    [Transaction(TransactionOption.CreateOrJoin)]
    [ReadOnly]
    Task<long> Read();

    [AlwaysInterleave]
    Task<PreparedPart> AddWithinInRound(OneRoundTicket round, long delta, long floor);

    [AlwaysInterleave]
    Task<PreparedPart> ReadInRound(OneRoundTicket round);

    [AlwaysInterleave]
    Task<int> GetRetainedVersionCount();
}

public sealed class FloorCounterGrain([TransactionalCounter("value")] ITransactionalCounter counter) : Grain, IFloorCounterGrain
{
    public async Task<bool> AddWithin(long delta, long floor) => (await counter.TryAdd(delta, floor)).Added;

    public Task<long> Read() => counter.Read();

    public Task<PreparedPart> AddWithinInRound(OneRoundTicket round, long delta, long floor) =>
        this.RunOneRoundPart(round, () => AddWithin(delta, floor));

    public Task<PreparedPart> ReadInRound(OneRoundTicket round) => this.RunOneRoundPart(round, Read);

    public Task<int> GetRetainedVersionCount() => Task.FromResult(((RoundaboutTransactionalCounter)counter).RetainedVersionCount);
}
