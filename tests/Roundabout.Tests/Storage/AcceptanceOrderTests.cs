using Roundabout.Silo.Persistence.GroupCommit;
using Roundabout.Storage;

namespace Roundabout.Tests.Storage;

/// <summary>
/// The log's ordering promise (<see cref="IRecordStore.OrderingDomain"/>), which lets the
/// transaction protocol answer prepares and installs before their writes are durable: a batch
/// accepted behind a flush that fails never becomes durable, even though it was accepted.
/// </summary>
public sealed class AcceptanceOrderTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Write_AcceptedWhileAnEarlierFlushFails_IsNeverDurable(bool syncFails)
    {
        using var directory = new TempDataDirectory();
        var files = new FaultInjectingLogFileSystem();
        var store = StorageTestKit.Open(directory.Path, files);
        Assert.NotNull(store.OrderingDomain);
        await store.WriteAsync(RecordWrite.Put("before", StorageTestKit.Utf8("durable"), null));

        // The earlier write's flush is held in its append, then fails (in the append or the fsync).
        var injected = new IOException("injected");
        var earlierFlush = files.SegmentAppendCalls + 1;
        files.HoldAppend(earlierFlush);
        if (syncFails)
        {
            files.FailSync(files.SegmentSyncCalls + 1, injected);
        }
        else
        {
            files.FailAppend(earlierFlush, injected);
        }

        var earlier = store.WriteAsync(RecordWrite.Put("earlier", StorageTestKit.Utf8("prepare"), null));
        Assert.True(files.WaitUntilHeld(TimeSpan.FromSeconds(30)), "the writer never reached the held append");
        var later = store.WriteAsync(RecordWrite.Put("later", StorageTestKit.Utf8("decision"), null));
        Assert.False(later.IsFaulted, "the later write was accepted");

        files.ReleaseHold();
        Assert.Same(injected, await Record.ExceptionAsync(() => earlier));
        Assert.Same(injected, await Record.ExceptionAsync(() => later));
        await store.DisposeAsync();

        await using var reopened = StorageTestKit.Open(directory.Path);
        Assert.NotNull(await reopened.ReadAsync("before"));
        Assert.Null(await reopened.ReadAsync("later"));
        if (!syncFails)
        {
            Assert.Null(await reopened.ReadAsync("earlier"));
        }
    }

    [Fact]
    public async Task TryAccept_ETagsKnownAtOnce_TheNextWriteNamesThemBeforeTheFlush()
    {
        using var directory = new TempDataDirectory();
        var files = new FaultInjectingLogFileSystem();
        await using (var store = StorageTestKit.Open(directory.Path, files))
        {
            var heldFlush = files.SegmentAppendCalls + 1;
            files.HoldAppend(heldFlush);
            var first = ((IRecordStore)store).TryAccept([RecordWrite.Put("slot", StorageTestKit.Utf8("one"), null)])!.Value;
            Assert.True(files.WaitUntilHeld(TimeSpan.FromSeconds(30)), "the writer never reached the held append");

            // Not durable yet, but sequenced: its ETag is what the next write must name.
            Assert.False(first.Durable.IsCompleted);
            var second = ((IRecordStore)store).TryAccept([RecordWrite.Put("slot", StorageTestKit.Utf8("two"), first.ETags[0])])!.Value;
            Assert.Throws<Orleans.Storage.InconsistentStateException>(
                () => ((IRecordStore)store).TryAccept([RecordWrite.Put("slot", StorageTestKit.Utf8("stale"), first.ETags[0])]));

            files.ReleaseHold();
            await Task.WhenAll(first.Durable, second.Durable).WaitAsync(TimeSpan.FromSeconds(30));
            var stored = await store.ReadAsync("slot");
            Assert.Equal("two", System.Text.Encoding.UTF8.GetString(stored!.Value.Span));
            Assert.Equal(second.ETags[0], stored.ETag);
        }

        await using var reopened = StorageTestKit.Open(directory.Path);
        Assert.Equal("two", System.Text.Encoding.UTF8.GetString((await reopened.ReadAsync("slot"))!.Value.Span));
    }

    [Fact]
    public async Task Checkpoint_ClosingTheSegmentFails_LaterWritesAreRefusedNotLeftWaiting()
    {
        using var directory = new TempDataDirectory();
        var files = new FaultInjectingLogFileSystem();
        var injected = new IOException("injected close failure");

        // 300 KB records, 1 MiB segments and checkpoints: after the fourth flush (1.2 MB since the
        // start) the first checkpoint rolls the segment, which is the first close. (A later close
        // could come from a full segment's roll inside a flush instead, depending on how long the
        // background checkpoint takes; that would fail the flush's own write, another test's business.)
        files.FailClose(1, injected);
        var store = StorageTestKit.Open(directory.Path, files, options => (options.SegmentBytes, options.CheckpointBytes) = (1 << 20, 1 << 20));
        var value = new byte[300_000];
        Exception? failure = null;
        for (var i = 0; i < 10 && failure is null; i++)
        {
            failure = await Record.ExceptionAsync(() => store.WriteAsync(RecordWrite.Put($"key-{i}", value, null)).WaitAsync(TimeSpan.FromSeconds(10)));
        }

        var refused = Assert.IsType<StoreFailedException>(failure);
        Assert.Same(injected, refused.InnerException);
        await Record.ExceptionAsync(async () => await store.DisposeAsync());
    }
}
