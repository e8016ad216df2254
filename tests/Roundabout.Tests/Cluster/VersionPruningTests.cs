using System.Diagnostics;
using Roundabout.Tests.Infrastructure;
using Roundabout.Tests.TestGrains;
using Roundabout.Transactions;
using Xunit.Abstractions;

namespace Roundabout.Tests.Cluster;

/// <summary>
/// A hot key that takes thousands of writes keeps only the versions that some snapshot can
/// still see: the version a long-running snapshot reader needs survives, the rest are pruned.
/// </summary>
/// <remarks>
/// Pruning follows the cluster's snapshot horizon, which trails the newest timestamp by up to
/// two heartbeats (about 0.5 s) of the least busy process, so under an unthrottled load the
/// chain holds roughly the versions of the last heartbeat or two (measured here: 1,100 to 1,600
/// at 1,600 to 2,300 writes per second). To bound the chain by a count rather than a rate, the
/// writes come in waves: after each wave, a few paced writes let the horizon catch up and the
/// chain must shrink back to the reader's version, the newest, and at most one more. So no wave
/// may find more than its own writes (plus those three) in the chain: nothing accumulates.
/// The reader must finish within 20 s, after which its snapshot is no longer reported (twice
/// Orleans' 10 s transaction time-out); the waves take a few seconds.
/// </remarks>
[Collection(ClusterCollection.Name)]
public sealed class VersionPruningTests(ClusterFixture fixture, ITestOutputHelper output)
{
    private const int Waves = 9;
    private const int WaveWrites = 250;
    private const int Writers = 2;
    private const int InitialWrites = 10;

    /// <summary>The reader's version, the newest, and the one before it (not yet past the horizon).</summary>
    private const int SettledChainLength = 3;

    private IGrainFactory Grains => fixture.Cluster.Grains;

    [Fact]
    public async Task Increment_ThousandsOfWritesWhileALongSnapshotReads_KeepsTheReadersVersionAndBoundsTheChain()
    {
        var counter = Grains.GetGrain<IVersionedCounterGrain>(Keys.New("hot"));
        for (var i = 0; i < InitialWrites; i++)
        {
            await counter.Increment();
        }

        var (before, release, reader) = await StartLongReaderAsync(counter);
        Assert.Equal(InitialWrites, before);

        var stopwatch = Stopwatch.StartNew();
        var committed = 0;
        var paced = 0;
        var conflicts = 0;
        var maxPerWave = new int[Waves];
        var settled = new int[Waves];
        var samples = 0;
        for (var wave = 0; wave < Waves; wave++)
        {
            var target = (wave + 1) * WaveWrites;
            var waveDone = false;
            var writers = Enumerable.Range(0, Writers).Select(_ => Task.Run(async () =>
            {
                while (Volatile.Read(ref committed) < target)
                {
                    try
                    {
                        await counter.Increment();
                        Interlocked.Increment(ref committed);
                    }
                    catch (TransactionConflictException)
                    {
                        Interlocked.Increment(ref conflicts);
                    }
                }
            })).ToArray();

            var sampler = Task.Run(async () =>
            {
                do
                {
                    maxPerWave[wave] = Math.Max(maxPerWave[wave], await counter.GetRetainedVersionCount());
                    Interlocked.Increment(ref samples);
                    await Task.Delay(5);
                }
                while (!Volatile.Read(ref waveDone));
            });

            await Task.WhenAll(writers);
            Volatile.Write(ref waveDone, true);
            await sampler;
            maxPerWave[wave] = Math.Max(maxPerWave[wave], await counter.GetRetainedVersionCount());

            // The reader still holds its snapshot: once the horizon has caught up, a write prunes
            // everything but the reader's version, the newest, and perhaps the one before.
            (settled[wave], var writes) = await PruneAsync(counter, SettledChainLength);
            paced += writes;
        }

        var loadTime = stopwatch.Elapsed;
        var written = await counter.Get();
        var stillRunning = !reader.IsCompleted;
        release.SetResult();
        var (first, second) = await reader;
        output.WriteLine($"{committed} writes in waves ({conflicts} conflicts) and {paced} paced ones in {loadTime}; {samples} samples; longest chain per wave: {string.Join(", ", maxPerWave)}; after each wave: {string.Join(", ", settled)}");

        Assert.True(stillRunning, "the reader finished before the writes did");
        Assert.Equal(before, first);
        Assert.Equal(first, second);
        Assert.True(committed >= Waves * WaveWrites);
        Assert.Equal(InitialWrites + committed + paced, written);
        Assert.True(samples >= Waves, $"only {samples} samples of the chain length were taken");
        Assert.All(settled, length => Assert.True(length <= SettledChainLength, $"with the reader running, the chain kept {length} versions after a wave"));

        // A wave starts from at most SettledChainLength versions, so it can only find its own writes
        // (and a couple of racing extra ones from the second writer) on top of them.
        Assert.All(maxPerWave, length => Assert.True(length <= SettledChainLength + WaveWrites + Writers, $"the chain kept {length} versions during a wave of {WaveWrites} writes"));

        // The reader is gone: once the horizon passes its snapshot, a write prunes the chain back.
        var (retained, _) = await PruneAsync(counter, atMost: 2);
        Assert.True(retained <= 2, $"the chain still keeps {retained} versions after the reader finished");
    }

    /// <summary>
    /// Pruning happens when a version is installed: writes now and then, until the chain is at
    /// most <paramref name="atMost"/> long or 40 writes were made. Returns the last length seen
    /// and the number of writes.
    /// </summary>
    private static async Task<(int Retained, int Writes)> PruneAsync(IVersionedCounterGrain counter, int atMost)
    {
        var retained = int.MaxValue;
        var writes = 0;
        while (writes < 40 && retained > atMost)
        {
            await Task.Delay(100);
            await counter.Increment();
            writes++;
            retained = await counter.GetRetainedVersionCount();
        }

        return (retained, writes);
    }
    /// <summary>
    /// No pacing at all: writers go as fast as they can while a snapshot stays open. The chain
    /// keeps what running transactions can see (the reader's version, versions of in-flight
    /// writers' snapshots, the newest), which depends on concurrency, not on the write rate.
    /// </summary>
    [Fact]
    public async Task Increment_UnthrottledWritesWhileALongSnapshotReads_ChainStaysSmall()
    {
        const int writes = 3_000;
        const int writers = 4;
        const int bound = 64;
        var counter = Grains.GetGrain<IVersionedCounterGrain>(Keys.New("hot"));
        await counter.Increment();

        var (before, release, reader) = await StartLongReaderAsync(counter);

        var attempts = 0;
        var committed = 0;
        var longest = 0;
        var samples = 0;
        var writing = Task.WhenAll(Enumerable.Range(0, writers).Select(_ => Task.Run(async () =>
        {
            while (Volatile.Read(ref committed) < writes && Interlocked.Increment(ref attempts) < writes * 10)
            {
                try
                {
                    await counter.Increment();
                    Interlocked.Increment(ref committed);
                }
                catch (TransactionConflictException)
                {
                }
            }
        })));
        while (!writing.IsCompleted)
        {
            longest = Math.Max(longest, await counter.GetRetainedVersionCount());
            samples++;
            await Task.Delay(5);
        }

        await writing;
        release.SetResult();
        var (first, second) = await reader;
        output.WriteLine($"{committed} unthrottled writes ({attempts} attempts) by {writers} writers; longest chain {longest} over {samples} samples");

        Assert.Equal(before, first);
        Assert.Equal(first, second);
        Assert.True(samples >= 10, $"only {samples} samples of the chain length were taken");
        Assert.True(longest <= bound, $"the chain kept {longest} versions while {committed} writes went by");
        Assert.True(committed >= writes, $"only {committed} of {writes} writes committed");
        Assert.Equal(1 + committed, await counter.Get());
    }

    /// <summary>
    /// Starts a read-only snapshot transaction that reads the counter, then waits for
    /// <c>release</c> and reads it again; returns once the first read is done.
    /// </summary>
    private async Task<(long FirstRead, TaskCompletionSource Release, Task<(long First, long Second)> Reader)> StartLongReaderAsync(IVersionedCounterGrain counter)
    {
        var firstRead = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var reader = fixture.Cluster.Transactions.RunAsync(
            async () =>
            {
                var first = await counter.Get();
                firstRead.SetResult(first);
                await release.Task;
                return (First: first, Second: await counter.Get());
            },
            TransactionOptions.ReadOnlySnapshot);
        return (await firstRead.Task, release, reader);
    }
}
