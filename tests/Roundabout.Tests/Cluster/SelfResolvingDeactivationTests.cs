using System.Diagnostics;
using Roundabout.Tests.Infrastructure;
using Roundabout.Tests.TestGrains;
using Roundabout.Transactions;
using Roundabout.Transactions.Timestamps;
using Xunit.Abstractions;

namespace Roundabout.Tests.Cluster;

/// <summary>
/// A transaction that a grain call creates is resolved inside that call, and a
/// single writer's PrepareAndCommit is a call to the grain itself. If the grain starts deactivating
/// between the body and that call, the call queues behind the deactivation, which waits for the
/// request that waits for the call.
/// </summary>
public sealed class SelfResolvingDeactivationTests(ITestOutputHelper output) : IAsyncLifetime
{
    private RoundaboutCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await RoundaboutCluster.StartAsync(silos: 3);

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    private IGrainFactory Grains => _cluster.Grains;

    [Theory]
    [InlineData("deactivate")]
    [InlineData("migrate")]
    public async Task WriteThenDeactivateInside_ReadOnlySnapshotDoesNotBlock(string how)
    {
        var g = Grains.GetGrain<ISelfResolvingGrain>(Keys.New("self"));
        await g.Write(1);

        var writerClock = Stopwatch.StartNew();
        var writer = how == "deactivate" ? g.WriteThenDeactivate(2) : g.WriteThenMigrate(2);
        await Task.Delay(500);

        var (readOutcome, readTook, writeOutcome, writeTook) = await ReadSnapshotThenAwaitWriterAsync(g, writer, writerClock);
        var final = await g.Get();
        output.WriteLine($"reader: {readOutcome} after {readTook}");
        output.WriteLine($"writer: {writeOutcome} after {writeTook}");
        output.WriteLine($"final value: {final}");
        Assert.True(readTook < TimeSpan.FromSeconds(5), $"the read-only snapshot took {readTook}: {readOutcome}");
        Assert.True(writeTook < TimeSpan.FromSeconds(5), $"the write took {writeTook}: {writeOutcome}");
    }

    [Fact]
    public async Task SiloShutdownWhileASelfCreatedTransactionRuns_DoesNotStall()
    {
        var g = Grains.GetGrain<ISelfResolvingGrain>(Keys.New("self"));
        await g.Write(1);
        var oracle = SiloOf(Grains.GetGrain<ITimestampOracleGrain>(0));
        var victim = _cluster.Cluster.Silos.Skip(1).First(silo => !silo.SiloAddress.Equals(oracle));
        if (!SiloOf(g).Equals(victim.SiloAddress))
        {
            await _cluster.Cluster.MigrateAsync(g, victim.SiloAddress);
        }

        Assert.Equal(victim.SiloAddress, SiloOf(g));
        var writerClock = Stopwatch.StartNew();
        var writer = g.WriteThenWait(2, 1000);
        await Task.Delay(300);
        var stopClock = Stopwatch.StartNew();
        var stopping = _cluster.Cluster.StopSiloAsync(victim);
        await Task.Delay(1500);

        var (readOutcome, readTook, writeOutcome, writeTook) = await ReadSnapshotThenAwaitWriterAsync(g, writer, writerClock);
        await stopping;
        var stopTook = stopClock.Elapsed;
        output.WriteLine($"reader: {readOutcome} after {readTook}");
        output.WriteLine($"writer: {writeOutcome} after {writeTook}");
        output.WriteLine($"silo stop took {stopTook}");
        output.WriteLine($"final value: {await g.Get()}");
        Assert.True(readTook < TimeSpan.FromSeconds(5), $"the read-only snapshot took {readTook}: {readOutcome}");
        Assert.True(writeTook < TimeSpan.FromSeconds(6), $"the write took {writeTook}: {writeOutcome}");
    }

    /// <summary>Reads the grain in a read-only snapshot, then awaits the writer: what each ended in, and how long each took.</summary>
    private async Task<(string Read, TimeSpan ReadTook, string Write, TimeSpan WriteTook)> ReadSnapshotThenAwaitWriterAsync(
        ISelfResolvingGrain g, Task<int> writer, Stopwatch writerClock)
    {
        var readerClock = Stopwatch.StartNew();
        string readOutcome;
        try
        {
            readOutcome = $"read {await _cluster.Transactions.RunAsync(() => g.Get(), TransactionOptions.ReadOnlySnapshot)}";
        }
        catch (Exception e)
        {
            readOutcome = $"{e.GetType().Name}: {e.Message}";
        }

        var readTook = readerClock.Elapsed;
        string writeOutcome;
        try
        {
            writeOutcome = $"wrote {await writer}";
        }
        catch (Exception e)
        {
            writeOutcome = $"{e.GetType().Name}: {e.Message}";
        }

        return (readOutcome, readTook, writeOutcome, writerClock.Elapsed);
    }

    private SiloAddress SiloOf(IAddressable grain) =>
        _cluster.Cluster.TryGetGrainContext(grain.GetGrainId(), out var context)
            ? context.Address.SiloAddress!
            : throw new InvalidOperationException($"{grain.GetGrainId()} is not active.");
}
