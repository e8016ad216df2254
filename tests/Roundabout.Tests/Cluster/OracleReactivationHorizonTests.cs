using Roundabout.Records;
using Roundabout.Tests.Infrastructure;
using Roundabout.Transactions;
using Roundabout.Transactions.Timestamps;
using Xunit.Abstractions;

namespace Roundabout.Tests.Cluster;

/// <summary>
/// A new activation of the timestamp oracle starts with no process reports, so
/// the first horizon it hands out leaves out the snapshots of processes that have not called it
/// yet; a silo that hears it stores no history for them when a grain stops.
/// </summary>
public sealed class OracleReactivationHorizonTests(ITestOutputHelper output) : IAsyncLifetime
{
    private RoundaboutCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await RoundaboutCluster.StartAsync(silos: 1);

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    private IGrainFactory Grains => _cluster.Grains;

    [Fact]
    public async Task OracleReactivates_SnapshotOfAClientKeepsItsVersionAcrossAGrainStop()
    {
        var failures = 0;
        for (var attempt = 0; attempt < 6; attempt++)
        {
            var (x, y, z) = (Grains.GetGrain<IRecordGrain>(Keys.New("rec")), Grains.GetGrain<IRecordGrain>(Keys.New("rec")), Grains.GetGrain<IRecordGrain>(Keys.New("rec")));
            await x.Put([1]);
            await y.Put([1]);
            var siloTimestamps = _cluster.Cluster.GetSiloServiceProvider(_cluster.Cluster.Silos[0].SiloAddress).GetRequiredService<ITimestampSource>();
            try
            {
                var seen = await PausedSnapshot.ReadAsync(
                    _cluster.Transactions,
                    first: async () => (await y.Get()).Value![0],
                    between: async () =>
                    {
                        await x.Put([2]);
                        await _cluster.Cluster.DeactivateAsync(Grains.GetGrain<ITimestampOracleGrain>(0));
                        await z.Put([1]); // a transaction the silo starts: the silo asks the new oracle first
                        output.WriteLine($"silo horizon: {siloTimestamps.Horizon.Horizon} active [{string.Join(",", siloTimestamps.Horizon.ActiveReadTimestamps)}] ranges [{string.Join(",", siloTimestamps.Horizon.ActiveRanges)}]");
                        await _cluster.Cluster.DeactivateAsync(x);
                    },
                    then: async () => (await x.Get()).Value![0]);
                output.WriteLine($"attempt {attempt}: saw {seen}");
                Assert.Equal((1, 1), seen);
            }
            catch (SnapshotTooOldException e)
            {
                failures++;
                output.WriteLine($"attempt {attempt}: {e.Message}");
            }
        }

        Assert.Equal(0, failures);
    }
}
