using Orleans.Concurrency;
using Roundabout.State;
using Roundabout.Transactions.OneRound;

namespace Roundabout.Tests.TestGrains;

/// <summary>A counter whose transactions make several additions, each with its own floor and ceiling.</summary>
public interface IMixedCounterGrain : IGrainWithStringKey
{
    [Transaction(TransactionOption.CreateOrJoin)]
    Task<bool[]> AddAll(long[] deltas, long[] floors, long[] ceilings);

    [Transaction(TransactionOption.CreateOrJoin)]
    [ReadOnly]
    Task<long> Read();

    [AlwaysInterleave]
    Task<PreparedPart> AddAllInRound(OneRoundTicket round, long[] deltas, long[] floors, long[] ceilings);

    [AlwaysInterleave]
    Task<PreparedPart> ReadInRound(OneRoundTicket round);

    [AlwaysInterleave]
    Task<int[]> GetCounts();
}

public sealed class MixedCounterGrain([TransactionalCounter("value")] ITransactionalCounter counter) : Grain, IMixedCounterGrain
{
    public async Task<bool[]> AddAll(long[] deltas, long[] floors, long[] ceilings)
    {
        var results = new bool[deltas.Length];
        for (var i = 0; i < deltas.Length; i++)
        {
            results[i] = (await counter.TryAdd(deltas[i], floors[i], ceilings[i])).Added;
        }

        return results;
    }

    public Task<long> Read() => counter.Read();

    public Task<PreparedPart> AddAllInRound(OneRoundTicket round, long[] deltas, long[] floors, long[] ceilings) =>
        this.RunOneRoundPart(round, () => AddAll(deltas, floors, ceilings));

    public Task<PreparedPart> ReadInRound(OneRoundTicket round) => this.RunOneRoundPart(round, Read);

    public Task<int[]> GetCounts()
    {
        var c = (RoundaboutTransactionalCounter)counter;
        return Task.FromResult(new[] { c.RetainedVersionCount, c.EscrowMarkCount });
    }
}
