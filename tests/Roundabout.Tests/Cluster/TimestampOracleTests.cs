using Roundabout.Tests.Infrastructure;
using Roundabout.Transactions.Timestamps;

namespace Roundabout.Tests.Cluster;

/// <summary>
/// Runs on a cluster of its own: the fake processes these tests report to the oracle hold the
/// snapshot horizon back for a while, which would slow pruning in other tests.
/// </summary>
public sealed class TimestampOracleTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    [Fact]
    public async Task Next_AfterReactivation_StaysAboveEverythingHandedOut()
    {
        var oracle = fixture.Cluster.Grains.GetGrain<ITimestampOracleGrain>(0);
        var before = await oracle.Next(new TimestampRequest(Guid.NewGuid(), 10, []));

        await fixture.Cluster.Cluster.DeactivateAsync(oracle);
        var after = await oracle.Next(new TimestampRequest(Guid.NewGuid(), 1, []));

        Assert.True(after.First > before.First + 9, $"after reactivation the oracle handed out {after.First}, not above {before.First + 9}");
    }

    [Fact]
    public async Task Next_ConsecutiveBatches_AreStrictlyIncreasingAndDisjoint()
    {
        var oracle = fixture.Cluster.Grains.GetGrain<ITimestampOracleGrain>(0);
        var process = Guid.NewGuid();

        var first = await oracle.Next(new TimestampRequest(process, 5, []));
        var second = await oracle.Next(new TimestampRequest(process, 5, []));

        Assert.True(second.First >= first.First + 5);
    }

    [Fact]
    public async Task Next_ReportedSnapshot_AppearsInTheHorizon()
    {
        var oracle = fixture.Cluster.Grains.GetGrain<ITimestampOracleGrain>(0);
        var process = Guid.NewGuid();
        var held = (await oracle.Next(new TimestampRequest(process, 1, []))).First;

        var grant = await oracle.Next(new TimestampRequest(process, 0, [held]));

        Assert.Contains(held, grant.Horizon.ActiveReadTimestamps);
        Assert.False(grant.Horizon.IsUnobservable(held, held + 1));
    }

    [Fact]
    public async Task Next_NegativeCount_ThrowsArgumentException()
    {
        var oracle = fixture.Cluster.Grains.GetGrain<ITimestampOracleGrain>(0);
        await Assert.ThrowsAnyAsync<ArgumentException>(() => oracle.Next(new TimestampRequest(Guid.NewGuid(), -1, [])));
    }
}
