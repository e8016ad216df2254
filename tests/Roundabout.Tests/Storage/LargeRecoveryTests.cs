using System.Buffers.Binary;
using System.Diagnostics;
using Roundabout.Silo.Persistence.GroupCommit;
using Roundabout.Storage;
using Xunit.Abstractions;

namespace Roundabout.Tests.Storage;

/// <summary>A million records come back from a checkpoint plus a tail of segments.</summary>
public sealed class LargeRecoveryTests(ITestOutputHelper output)
{
    private const int Records = 1_000_000;
    private const int BatchSize = 1000;
    private const int BeforeCheckpoint = 700_000; // ~17.5 MB of log: past CheckpointBytes once
    private const int Overwritten = 50_000;

    [Fact]
    public async Task Reopen_MillionRecordsInACheckpointAndTailSegments_RecoversEveryRecord()
    {
        using var directory = new TempDataDirectory();
        var files = new FaultInjectingLogFileSystem();
        var etags = new string[Records / BatchSize];
        var overwriteETags = new string[Overwritten / BatchSize];
        await using (var store = StorageTestKit.Open(directory.Path, files, Options))
        {
            await WriteInParallelAsync(Enumerable.Range(0, BeforeCheckpoint / BatchSize), async b =>
                etags[b] = (await store.WriteAsync(Batch(b, generation: 0, etag: null)))[0]!);
            Assert.True(SpinWait.SpinUntil(() => files.CheckpointsPublished == 1, TimeSpan.FromSeconds(60)), "no checkpoint was written");

            // The tail: the remaining records, and overwrites of some checkpointed ones.
            await WriteInParallelAsync(Enumerable.Range(BeforeCheckpoint / BatchSize, (Records - BeforeCheckpoint) / BatchSize), async b =>
                etags[b] = (await store.WriteAsync(Batch(b, generation: 0, etag: null)))[0]!);
            await WriteInParallelAsync(Enumerable.Range(0, Overwritten / BatchSize), async b =>
                overwriteETags[b] = (await store.WriteAsync(Batch(b, generation: 1, etag: etags[b])))[0]!);
        }

        var checkpoint = Assert.Single(StorageTestKit.Checkpoints(directory.Path));
        Assert.Contains(StorageTestKit.Segments(directory.Path), s => StorageTestKit.LsnOf(s) > StorageTestKit.LsnOf(checkpoint));

        var started = Stopwatch.GetTimestamp();
        await using var reopened = StorageTestKit.Open(directory.Path, configure: Options);
        output.WriteLine($"Recovered {reopened.Count:N0} records in {Stopwatch.GetElapsedTime(started).TotalMilliseconds:N0} ms");

        Assert.Equal(Records, reopened.Count);
        for (var i = 0; i < Records; i++)
        {
            var batch = i / BatchSize;
            var overwritten = batch < Overwritten / BatchSize;
            var record = await reopened.ReadAsync(Key(i));
            if (record is null
                || BinaryPrimitives.ReadInt64LittleEndian(record.Value.Span) != Value(i, overwritten ? 1 : 0)
                || record.ETag != (overwritten ? overwriteETags[batch] : etags[batch]))
            {
                Assert.Fail($"record {Key(i)} came back as {(record is null ? "nothing" : $"ETag {record.ETag}")}");
            }
        }
    }

    private static void Options(GroupCommitOptions options)
    {
        options.SegmentBytes = 4L * 1024 * 1024;
        options.CheckpointBytes = 16L * 1024 * 1024;
    }

    private static string Key(int i) => $"r{i:D7}";

    private static long Value(int i, int generation) => (long)i * 10 + generation;

    private static RecordWrite[] Batch(int batch, int generation, string? etag)
    {
        var writes = new RecordWrite[BatchSize];
        for (var j = 0; j < BatchSize; j++)
        {
            var i = batch * BatchSize + j;
            var value = new byte[8];
            BinaryPrimitives.WriteInt64LittleEndian(value, Value(i, generation));
            writes[j] = RecordWrite.Put(Key(i), value, etag);
        }

        return writes;
    }

    private static Task WriteInParallelAsync(IEnumerable<int> batches, Func<int, Task> write) =>
        Parallel.ForEachAsync(batches, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (b, _) => await write(b));
}
