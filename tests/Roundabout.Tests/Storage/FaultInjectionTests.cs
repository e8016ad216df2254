using Roundabout.Silo.Persistence.FileLog;
using Roundabout.Silo.Persistence.GroupCommit;
using Roundabout.Storage;

namespace Roundabout.Tests.Storage;

/// <summary>
/// A failed write or fsync fails every writer of that flush with the cause, fails the store for
/// good, and loses nothing acknowledged: a reopen holds every acknowledged batch and each failed
/// batch whole or not at all.
/// </summary>
public sealed class FaultInjectionTests
{
    private const int Acknowledged = 3;
    private const int FailedBatches = 3;

    public enum Fault
    {
        AppendThrows,
        AppendWritesHalfThenThrows,
        AppendDiskFull,
        AppendHalfThenDiskFull,
        SyncThrows,
        SyncDiskFull,
    }

    [Theory]
    [InlineData(Fault.AppendThrows)]
    [InlineData(Fault.AppendWritesHalfThenThrows)]
    [InlineData(Fault.AppendDiskFull)]
    [InlineData(Fault.AppendHalfThenDiskFull)]
    [InlineData(Fault.SyncThrows)]
    [InlineData(Fault.SyncDiskFull)]
    public async Task Flush_DiskFails_WaitersGetTheCauseAndTheStoreRefusesMore(Fault fault)
    {
        using var directory = new TempDataDirectory();
        var files = new FaultInjectingLogFileSystem();
        var scenario = await RunIntoFailureAsync(directory.Path, files, fault);
        var store = scenario.Store;
        try
        {
            // Every writer of the failed flush gets the cause itself (wrapped in DiskFullException for ENOSPC).
            foreach (var failed in scenario.FailedWrites)
            {
                AssertIsTheFailure(fault, scenario.Injected, await Record.ExceptionAsync(() => failed));
            }

            var appends = files.SegmentAppendCalls;
            var syncs = files.SegmentSyncCalls;
            var filesOnDisk = Directory.GetFiles(directory.Path).Select(f => (f, new FileInfo(f).Length)).ToList();

            // Later writes are refused, naming the cause, without touching the disk.
            var refused = await Assert.ThrowsAsync<StoreFailedException>(() => store.WriteAsync(RecordWrite.Put("later", new byte[] { 1 }, null)));
            AssertIsTheFailure(fault, scenario.Injected, refused.InnerException);
            await Assert.ThrowsAsync<StoreFailedException>(() => store.WriteAsync(RecordWrite.Put("held", new byte[] { 1 }, scenario.Model["held"].ETag)));
            await Assert.ThrowsAsync<StoreFailedException>(() => store.FlushAsync());
            Assert.Equal(appends, files.SegmentAppendCalls);
            Assert.Equal(syncs, files.SegmentSyncCalls);
            Assert.Equal(filesOnDisk, Directory.GetFiles(directory.Path).Select(f => (f, new FileInfo(f).Length)).ToList());

            // Reads of keys whose latest write failed throw; the acknowledged write before the failure still reads.
            foreach (var key in scenario.FailedKeys)
            {
                AssertIsTheFailure(fault, scenario.Injected, await Record.ExceptionAsync(() => store.ReadAsync(key)));
            }

            var held = await store.ReadAsync("held");
            Assert.Equal(StorageTestKit.Utf8("held"), held!.Value.ToArray());
            Assert.Equal(scenario.Model["held"].ETag, held.ETag);
        }
        finally
        {
            await store.DisposeAsync();
        }
    }

    [Theory]
    [InlineData(Fault.AppendThrows)]
    [InlineData(Fault.AppendWritesHalfThenThrows)]
    [InlineData(Fault.AppendDiskFull)]
    [InlineData(Fault.AppendHalfThenDiskFull)]
    [InlineData(Fault.SyncThrows)]
    [InlineData(Fault.SyncDiskFull)]
    public async Task Reopen_AfterADiskFailure_HoldsEveryAcknowledgedWriteAndFailedBatchesWholeOrNotAtAll(Fault fault)
    {
        using var directory = new TempDataDirectory();
        var scenario = await RunIntoFailureAsync(directory.Path, new FaultInjectingLogFileSystem(), fault);
        await Task.WhenAll(scenario.FailedWrites.Select(t => t.ContinueWith(_ => { }, TaskScheduler.Default)));
        await scenario.Store.DisposeAsync();

        await using var reopened = StorageTestKit.Open(directory.Path);

        var expected = new Dictionary<string, ExpectedRecord>(scenario.Model);
        var present = new List<bool>();
        for (var b = 0; b < FailedBatches; b++)
        {
            var records = await Task.WhenAll(scenario.FailedBatches[b].Select(w => reopened.ReadAsync(w.Key)));
            var written = records.Select((r, i) => r is not null && r.Value.Span.SequenceEqual(scenario.FailedBatches[b][i].Value!.Value.Span)).ToList();
            Assert.True(written.All(x => x) || written.All(x => !x), $"failed batch {b} came back in part: {string.Join(", ", written)}");
            present.Add(written[0]);
            if (written[0])
            {
                Assert.All(records, r => Assert.Equal(records[0]!.ETag, r!.ETag));
                foreach (var (write, record) in scenario.FailedBatches[b].Zip(records))
                {
                    expected[write.Key] = new ExpectedRecord(write.Value!.Value.ToArray(), record!.ETag);
                }
            }
        }

        // The failed flush is one frame: its batches come back together or not at all.
        Assert.True(present.All(x => x) || present.All(x => !x), $"the failed flush came back in part: {string.Join(", ", present)}");
        if (fault is Fault.SyncThrows or Fault.SyncDiskFull)
        {
            Assert.All(present, Assert.True); // the frame reached the file before the fsync failed
        }
        else
        {
            Assert.All(present, Assert.False); // the frame never reached the file whole
        }

        await StorageTestKit.AssertHoldsExactlyAsync(reopened, expected, scenario.FailedKeys.Append("later"));

        // And the recovered store writes again.
        var etag = await reopened.WriteAsync(RecordWrite.Put("ack-0", StorageTestKit.Utf8("again"), expected["ack-0"].ETag));
        Assert.DoesNotContain(etag, expected.Values.Select(r => r.ETag));
    }

    private static void AssertIsTheFailure(Fault fault, Exception injected, Exception? exception)
    {
        if (IsDiskFull(fault))
        {
            var diskFull = Assert.IsType<DiskFullException>(exception);
            Assert.Same(injected, diskFull.InnerException);
        }
        else
        {
            Assert.Same(injected, exception);
        }
    }

    private static bool IsDiskFull(Fault fault) => fault is Fault.AppendDiskFull or Fault.AppendHalfThenDiskFull or Fault.SyncDiskFull;

    /// <summary>
    /// Acknowledges <see cref="Acknowledged"/> single writes and one held write, queues
    /// <see cref="FailedBatches"/> batches behind the held one (so they share the next flush), and
    /// fails that flush.
    /// </summary>
    private static async Task<Scenario> RunIntoFailureAsync(string directory, FaultInjectingLogFileSystem files, Fault fault)
    {
        var store = StorageTestKit.Open(directory, files);
        var model = new Dictionary<string, ExpectedRecord>(StringComparer.Ordinal);
        for (var i = 0; i < Acknowledged; i++)
        {
            RecordWrite[] writes = [RecordWrite.Put($"ack-{i}", StorageTestKit.Utf8($"ack-{i}"), null)];
            StorageTestKit.Apply(model, writes, await store.WriteAsync(writes));
        }

        Exception injected = IsDiskFull(fault) ? FaultInjectingLogFileSystem.DiskFull() : new IOException("injected I/O error");
        var heldCall = files.SegmentAppendCalls + 1;
        switch (fault)
        {
            case Fault.AppendThrows or Fault.AppendDiskFull:
                files.FailAppend(heldCall + 1, injected);
                break;
            case Fault.AppendWritesHalfThenThrows or Fault.AppendHalfThenDiskFull:
                files.FailAppend(heldCall + 1, injected, bytesWrittenFirst: 40);
                break;
            default:
                files.FailSync(files.SegmentSyncCalls + 2, injected); // the held flush syncs first
                break;
        }

        files.HoldAppend(heldCall);
        RecordWrite[] held = [RecordWrite.Put("held", StorageTestKit.Utf8("held"), null)];
        var heldWrite = store.WriteAsync(held);
        Assert.True(files.WaitUntilHeld(TimeSpan.FromSeconds(30)), "the writer never reached the held append");

        // Queued while the writer is held: all of them go into the next flush, the failing one.
        var failedBatches = new List<RecordWrite[]>();
        var failedWrites = new List<Task>();
        for (var b = 0; b < FailedBatches; b++)
        {
            RecordWrite[] writes =
            [
                RecordWrite.Put($"failed-{b}-a", StorageTestKit.Utf8($"failed {b} a"), null),
                RecordWrite.Put($"failed-{b}-b", StorageTestKit.Utf8($"failed {b} b"), null),
                RecordWrite.Put($"ack-{b}", StorageTestKit.Utf8($"overwritten by failed {b}"), model[$"ack-{b}"].ETag),
            ];
            failedBatches.Add(writes);
            failedWrites.Add(store.WriteAsync(writes));
        }

        files.ReleaseHold();
        StorageTestKit.Apply(model, held, await heldWrite);
        return new Scenario(store, model, injected, failedBatches, failedWrites);
    }

    private sealed record Scenario(
        GroupCommitRecordStore Store,
        Dictionary<string, ExpectedRecord> Model,
        Exception Injected,
        List<RecordWrite[]> FailedBatches,
        List<Task> FailedWrites)
    {
        public IEnumerable<string> FailedKeys => FailedBatches.SelectMany(b => b.Select(w => w.Key));
    }
}
