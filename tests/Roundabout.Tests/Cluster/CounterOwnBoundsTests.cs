using Roundabout.Tests.Infrastructure;
using Roundabout.Tests.TestGrains;
using Roundabout.Transactions;
using Xunit.Abstractions;

namespace Roundabout.Tests.Cluster;

/// <summary>One transaction's several TryAdds with different floors or ceilings, alone on the counter: each keeps its own bound where it leaves the sum, and the transaction commits.</summary>
[Collection(ClusterCollection.Name)]
public sealed class CounterOwnBoundsTests(ClusterFixture fixture, ITestOutputHelper output)
{
    private const long Min = long.MinValue;
    private const long Max = long.MaxValue;

    private IGrainFactory Grains => fixture.Cluster.Grains;

    private IRoundaboutTransactions Transactions => fixture.Cluster.Transactions;

    /// <summary>
    /// Balance 15, nothing else running. One transaction withdraws 10 with floor 0 (15 -> 5) and then a
    /// fee of 10 with floor -100 (5 -> -5): both TryAdds report Added, and the serial check holds
    /// (5 >= 0, -5 >= -100). The prepare joins the floors as max(0, -100) = 0 at the lowest point -20.
    /// </summary>
    [Fact]
    public async Task TwoWithdrawalsWithDifferentFloors_AloneOnTheCounter_Commit()
    {
        var c = Grains.GetGrain<IMixedCounterGrain>(Keys.New("own-bounds-floor"));
        Assert.True((await c.AddAll([15], [Min], [Max]))[0]);

        var failures = 0;
        for (var attempt = 1; attempt <= 5; attempt++)
        {
            bool[] added = [];
            var error = await Record.ExceptionAsync(() => Transactions.RunAsync(async () =>
            {
                added = await c.AddAll([-10, -10], [0, -100], [Max, Max]);
            }));
            output.WriteLine($"attempt {attempt}: added={string.Join(",", added)} error={error?.GetType().Name}: {error?.Message}; value {await c.Read()}");
            failures += error is null ? 0 : 1;
        }

        Assert.True(failures == 0, $"{failures} of 5 attempts conflicted, with nothing else on the counter and both TryAdds reporting Added");
    }

    /// <summary>The ceiling twin: 85; deposit 10 with ceiling 100 (95), then 10 with ceiling 1000 (105).</summary>
    [Fact]
    public async Task TwoDepositsWithDifferentCeilings_AloneOnTheCounter_Commit()
    {
        var c = Grains.GetGrain<IMixedCounterGrain>(Keys.New("own-bounds-ceiling"));
        Assert.True((await c.AddAll([85], [Min], [Max]))[0]);
        bool[] added = [];
        var error = await Record.ExceptionAsync(() => Transactions.RunAsync(async () =>
        {
            added = await c.AddAll([10, 10], [Min, Min], [100, 1000]);
        }));
        output.WriteLine($"added={string.Join(",", added)} error={error?.GetType().Name}: {error?.Message}; value {await c.Read()}");
        Assert.Null(error);
        Assert.All(added, Assert.True);
    }
}
