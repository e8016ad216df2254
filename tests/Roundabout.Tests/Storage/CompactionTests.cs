using Roundabout.Silo.Persistence.GroupCommit;
using Roundabout.Storage;

namespace Roundabout.Tests.Storage;

/// <summary>Checkpoints bound the log: covered segments go, and recovery from checkpoint plus tail gives the latest values.</summary>
public sealed class CompactionTests
{
    private const int MiB = 1024 * 1024;
    private const int ValueBytes = 64 * 1024;

    [Fact]
    public async Task Write_PastCheckpointBytesSeveralTimes_DeletesCoveredSegmentsAndRecoversLatestValues()
    {
        using var directory = new TempDataDirectory();
        var files = new FaultInjectingLogFileSystem();
        var model = new Dictionary<string, ExpectedRecord>(StringComparer.Ordinal);
        var keys = new HashSet<string>(StringComparer.Ordinal);
        const int Phases = 3;
        await using (var store = StorageTestKit.Open(directory.Path, files, Compacting))
        {
            for (var phase = 1; phase <= Phases; phase++)
            {
                await WriteAsync(store, model, keys, firstBatch: (phase - 1) * 32, batches: 32); // 2 MiB: past CheckpointBytes in any case
                Assert.True(
                    SpinWait.SpinUntil(() => files.CheckpointsPublished >= phase, TimeSpan.FromSeconds(30)),
                    $"phase {phase}: only {files.CheckpointsPublished} checkpoints were written");
            }
        }

        var checkpoint = Assert.Single(StorageTestKit.Checkpoints(directory.Path));
        var segments = StorageTestKit.Segments(directory.Path);
        Assert.Empty(Directory.GetFiles(directory.Path, "*.tmp"));
        Assert.All(segments, s => Assert.True(StorageTestKit.LsnOf(s) > StorageTestKit.LsnOf(checkpoint), $"{s} is covered by {checkpoint} but was kept"));
        Assert.True(files.SegmentsOpened >= 6, $"only {files.SegmentsOpened} segments were written"); // 6 MiB in 1 MiB segments
        Assert.True(segments.Length <= 4, $"{segments.Length} segments are left of {files.SegmentsOpened}");

        await using var reopened = StorageTestKit.Open(directory.Path, configure: Compacting);
        await StorageTestKit.AssertHoldsExactlyAsync(reopened, model, keys);
    }

    [Fact]
    public async Task Reopen_LeftoverTemporaryCheckpoint_IsIgnoredAndRemoved()
    {
        using var directory = new TempDataDirectory();
        var model = new Dictionary<string, ExpectedRecord>(StringComparer.Ordinal);
        var keys = new HashSet<string>(StringComparer.Ordinal);
        await using (var store = StorageTestKit.Open(directory.Path, configure: Compacting))
        {
            await WriteAsync(store, model, keys, firstBatch: 0, batches: 4);
        }

        // A checkpoint interrupted while being written: newer than everything, and garbage.
        var leftover = Path.Combine(directory.Path, $"checkpoint-{999_999:D20}.ckpt.tmp");
        File.WriteAllBytes(leftover, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);

        await using var reopened = StorageTestKit.Open(directory.Path, configure: Compacting);
        Assert.False(File.Exists(leftover));
        await StorageTestKit.AssertHoldsExactlyAsync(reopened, model, keys);
    }

    [Fact]
    public async Task Checkpoint_ItsFileCannotBeWritten_LeavesNoTemporaryFileAndLosesNothing()
    {
        using var directory = new TempDataDirectory();
        var files = new FaultInjectingLogFileSystem();
        files.FailCheckpointWrites(FaultInjectingLogFileSystem.DiskFull());
        var model = new Dictionary<string, ExpectedRecord>(StringComparer.Ordinal);
        var keys = new HashSet<string>(StringComparer.Ordinal);
        await using (var store = StorageTestKit.Open(directory.Path, files, Compacting))
        {
            await WriteAsync(store, model, keys, firstBatch: 0, batches: 40); // about 2.6 MiB: past CheckpointBytes twice
        }

        Assert.True(files.CheckpointWritesFailed > 0, "no checkpoint was attempted");
        Assert.Empty(Directory.GetFiles(directory.Path, "*.tmp"));
        await using var reopened = StorageTestKit.Open(directory.Path, configure: Compacting);
        await StorageTestKit.AssertHoldsExactlyAsync(reopened, model, keys);
    }

    /// <summary>
    /// A crash after a checkpoint got its name and before the segments it covers were deleted:
    /// the restarted store must finish that clean-up rather than trip over the existing checkpoint.
    /// </summary>
    [Fact]
    public async Task Reopen_SegmentsLeftBehindByACheckpoint_AreDeletedAtTheNextFlush()
    {
        using var directory = new TempDataDirectory();
        var model = new Dictionary<string, ExpectedRecord>(StringComparer.Ordinal);
        var keys = new HashSet<string>(StringComparer.Ordinal);
        await using (var store = StorageTestKit.Open(directory.Path, configure: o => o.CheckpointBytes = 1L << 40))
        {
            await WriteAsync(store, model, keys, firstBatch: 0, batches: 20); // about 1.3 MiB in one segment
        }

        var covered = Assert.Single(StorageTestKit.Segments(directory.Path));
        var coveredBytes = File.ReadAllBytes(covered);
        var files = new FaultInjectingLogFileSystem();
        await using (var store = StorageTestKit.Open(directory.Path, files, Compacting))
        {
            await store.FlushAsync(); // the log is past CheckpointBytes: this checkpoints it
            Assert.True(SpinWait.SpinUntil(() => files.CheckpointsPublished == 1, TimeSpan.FromSeconds(30)), "no checkpoint was written");
        }

        Assert.False(File.Exists(covered));
        File.WriteAllBytes(covered, coveredBytes); // as if the crash came before its deletion

        await using (var store = StorageTestKit.Open(directory.Path, configure: Compacting))
        {
            await store.FlushAsync();
        }

        Assert.False(File.Exists(covered), "the covered segment is still there");
        Assert.Empty(Directory.GetFiles(directory.Path, "*.tmp"));
        Assert.Single(StorageTestKit.Checkpoints(directory.Path));
        await using var reopened = StorageTestKit.Open(directory.Path, configure: Compacting);
        await StorageTestKit.AssertHoldsExactlyAsync(reopened, model, keys);
    }

    /// <summary>
    /// "A checkpoint is written once CheckpointBytes were logged since the last one": a silo that
    /// restarts before each run logs that much must still checkpoint, or its log (and recovery
    /// time) grows without bound.
    /// </summary>
    [Fact]
    public async Task Reopen_EachRunLogsLessThanCheckpointBytes_TheLogIsStillCheckpointed()
    {
        using var directory = new TempDataDirectory();
        var model = new Dictionary<string, ExpectedRecord>(StringComparer.Ordinal);
        var keys = new HashSet<string>(StringComparer.Ordinal);
        for (var run = 0; run < 4; run++)
        {
            var files = new FaultInjectingLogFileSystem();
            await using var store = StorageTestKit.Open(directory.Path, files, Compacting);
            await WriteAsync(store, model, keys, firstBatch: run * 12, batches: 12); // 0.75 MiB per run, 3 MiB in all
        }

        Assert.NotEmpty(StorageTestKit.Checkpoints(directory.Path));
        await using var reopened = StorageTestKit.Open(directory.Path, configure: Compacting);
        await StorageTestKit.AssertHoldsExactlyAsync(reopened, model, keys);
    }

    private static void Compacting(GroupCommitOptions options)
    {
        options.SegmentBytes = MiB;
        options.CheckpointBytes = MiB;
    }

    /// <summary>Each batch overwrites one of 32 large records, creates a small one and deletes the previous small one.</summary>
    private static async Task WriteAsync(GroupCommitRecordStore store, Dictionary<string, ExpectedRecord> model, HashSet<string> keys, int firstBatch, int batches)
    {
        for (var i = firstBatch; i < firstBatch + batches; i++)
        {
            var value = new byte[ValueBytes];
            new Random(i).NextBytes(value);
            var large = $"large{i % 32}";
            var writes = new List<RecordWrite>
            {
                RecordWrite.Put(large, value, model.GetValueOrDefault(large)?.ETag),
                RecordWrite.Put($"small{i}", StorageTestKit.Utf8($"small {i}"), null),
            };
            if (model.TryGetValue($"small{i - 1}", out var previous))
            {
                writes.Add(RecordWrite.Delete($"small{i - 1}", previous.ETag));
            }

            keys.UnionWith(writes.Select(w => w.Key));
            StorageTestKit.Apply(model, writes, await store.WriteAsync(writes));
        }
    }
}
