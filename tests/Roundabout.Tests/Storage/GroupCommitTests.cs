using Roundabout.Silo.Persistence.FileLog;
using Roundabout.Silo.Persistence.GroupCommit;
using Roundabout.Storage;

namespace Roundabout.Tests.Storage;

/// <summary>
/// Concurrent writers share fsyncs. To be independent of how fast the disk and the scheduler are,
/// each sync waits until every active writer has queued its next write (a slow disk, made
/// deterministic): the flush after it then has every write that arrived meanwhile to carry.
/// </summary>
public sealed class GroupCommitTests
{
    private const int Writers = 64;

    [Fact]
    public async Task Write_64ConcurrentWriters_FarFewerFlushesThanWrites()
    {
        using var directory = new TempDataDirectory();
        var files = new FaultInjectingLogFileSystem();
        const int WritesPerWriter = 20;
        await using (var store = StorageTestKit.Open(directory.Path, files))
        {
            await RunWritersAsync(store, files, WritesPerWriter);
            await AssertEveryWriterLandedAsync(store, WritesPerWriter);
        }

        const int Writes = Writers * WritesPerWriter;
        Assert.True(files.SegmentSyncCalls <= Writes / 4, $"{files.SegmentSyncCalls} flushes for {Writes} writes: no group commit");
        Assert.Equal(Writes, ReadBatchesPerFlush(directory.Path).Sum());
    }

    [Fact]
    public async Task Write_DisableGroupCommit_OneFlushPerWrite()
    {
        using var directory = new TempDataDirectory();
        var files = new FaultInjectingLogFileSystem();
        const int WritesPerWriter = 3;
        await using (var store = StorageTestKit.Open(directory.Path, files, o => o.DisableGroupCommit = true))
        {
            await RunWritersAsync(store, files, WritesPerWriter);
            await AssertEveryWriterLandedAsync(store, WritesPerWriter);
        }

        Assert.Equal(Writers * WritesPerWriter, files.SegmentSyncCalls);
        Assert.All(ReadBatchesPerFlush(directory.Path), count => Assert.Equal(1, count));
    }

    [Fact]
    public async Task Write_MaxBatchRequests_NoFlushCarriesMoreBatches()
    {
        using var directory = new TempDataDirectory();
        var files = new FaultInjectingLogFileSystem();
        const int WritesPerWriter = 5;
        const int Limit = 8;
        await using (var store = StorageTestKit.Open(directory.Path, files, o => o.MaxBatchRequests = Limit))
        {
            await RunWritersAsync(store, files, WritesPerWriter);
        }

        var perFlush = ReadBatchesPerFlush(directory.Path);
        Assert.All(perFlush, count => Assert.InRange(count, 1, Limit));
        Assert.Equal(Limit, perFlush.Max()); // the limit was reached, so it was what stopped the flushes
        Assert.Equal(Writers * WritesPerWriter, perFlush.Sum());
        Assert.Equal(files.SegmentSyncCalls, perFlush.Count);
    }

    [Fact]
    public async Task Write_MaxWait_TheFlushWaitsForLaterWritersUntilTheBatchIsFull()
    {
        using var directory = new TempDataDirectory();
        var files = new FaultInjectingLogFileSystem();
        const int Batch = 8;
        await using (var store = StorageTestKit.Open(directory.Path, files, o => (o.MaxWait, o.MaxBatchRequests) = (TimeSpan.FromSeconds(1), Batch)))
        {
            // Writes arriving 20 ms apart: without the wait, each would get a flush of its own.
            var writes = new List<Task<string?>>();
            for (var writer = 0; writer < Batch; writer++)
            {
                writes.Add(store.WriteAsync(RecordWrite.Put($"writer-{writer}", BitConverter.GetBytes(0), null)));
                await Task.Delay(20);
            }

            await Task.WhenAll(writes).WaitAsync(TimeSpan.FromSeconds(30));
            for (var writer = 0; writer < Batch; writer++)
            {
                Assert.Equal(BitConverter.GetBytes(0), (await store.ReadAsync($"writer-{writer}"))!.Value.ToArray());
            }
        }

        // The first flush waited for the rest, and went as soon as the batch was full.
        Assert.Equal([Batch], ReadBatchesPerFlush(directory.Path));
        Assert.Equal(1, files.SegmentSyncCalls);
    }

    [Fact]
    public async Task Dispose_StoreThatMadeItsOwnMetrics_CanBeCollectedWithItsRecords()
    {
        using var directory = new TempDataDirectory();
        var disposed = await WriteThenDisposeAsync(directory.Path);

        for (var i = 0; i < 3 && disposed.IsAlive; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }

        Assert.False(disposed.IsAlive, "a disposed store is still reachable (its meter's gauge holds it)");
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static async Task<WeakReference> WriteThenDisposeAsync(string directory)
    {
        var store = StorageTestKit.Open(directory);
        await store.WriteAsync(RecordWrite.Put("key", new byte[1024 * 1024], null));
        await store.DisposeAsync();
        return new WeakReference(store);
    }

    /// <summary>Decodes every frame of every segment: the number of write batches each flush carried. Also checks the batches are in sequence order without gaps.</summary>
    private static List<int> ReadBatchesPerFlush(string directory)
    {
        var perFlush = new List<int>();
        var nextLsn = 1L;
        foreach (var segment in StorageTestKit.Segments(directory))
        {
            var frames = StorageTestKit.ReadFrames(segment);
            Assert.Equal(new FileInfo(segment).Length, frames.Count == 0 ? 0 : frames[^1].End);
            foreach (var frame in frames)
            {
                Assert.Equal((byte)FrameKind.Batch, frame.Kind);
                var batches = LogPayloadCodec.DecodeBatches(frame.Payload);
                foreach (var batch in batches)
                {
                    Assert.Equal(nextLsn++, batch.Lsn);
                }

                perFlush.Add(batches.Count);
            }
        }

        return perFlush;
    }

    private static async Task RunWritersAsync(GroupCommitRecordStore store, FaultInjectingLogFileSystem files, int writesPerWriter)
    {
        var counters = new Counters { Active = Writers };
        files.BeforeSegmentSync = () => SpinWait.SpinUntil(
            () => Volatile.Read(ref counters.InFlight) >= Volatile.Read(ref counters.Active),
            TimeSpan.FromSeconds(10));
        try
        {
            await Task.WhenAll(Enumerable.Range(0, Writers).Select(writer => Task.Run(async () =>
            {
                string? etag = null;
                for (var i = 0; i < writesPerWriter; i++)
                {
                    var write = store.WriteAsync(RecordWrite.Put($"writer-{writer}", BitConverter.GetBytes(i), etag)); // queued when it returns
                    Interlocked.Increment(ref counters.InFlight);
                    etag = await write;
                    Interlocked.Decrement(ref counters.InFlight);
                }

                Interlocked.Decrement(ref counters.Active);
            })));
        }
        finally
        {
            files.BeforeSegmentSync = null;
        }
    }

    private static async Task AssertEveryWriterLandedAsync(GroupCommitRecordStore store, int writesPerWriter)
    {
        for (var writer = 0; writer < Writers; writer++)
        {
            Assert.Equal(BitConverter.GetBytes(writesPerWriter - 1), (await store.ReadAsync($"writer-{writer}"))!.Value.ToArray());
        }
    }

    private sealed class Counters
    {
        public int Active;
        public int InFlight;
    }
}
