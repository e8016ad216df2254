using Roundabout.Silo.Persistence.FileLog;
using Roundabout.Silo.Persistence.GroupCommit;
using Roundabout.Storage;

namespace Roundabout.Tests.Storage;

/// <summary>
/// Recovery takes no frame above <see cref="LogFrame.MaxPayloadBytes"/>, so the store must never
/// acknowledge a batch that needs a larger one: it must refuse it, or it must come back.
/// </summary>
public sealed class OversizedBatchTests
{
    [Fact]
    public async Task WriteAsync_BatchLargerThanTheLargestFrame_IsRefusedOrSurvivesReopen()
    {
        using var directory = new TempDataDirectory();
        // No checkpoint before the reopen (one would copy the batch into small frames and hide the problem).
        static void NoCheckpoint(GroupCommitOptions options) => options.CheckpointBytes = 1L << 30;
        var value = new byte[4 * 1024 * 1024]; // MaxRecordBytes, the default
        var writes = Enumerable.Range(0, LogFrame.MaxPayloadBytes / value.Length + 1)
            .Select(i => RecordWrite.Put($"big-{i}", value, null))
            .ToArray(); // every value allowed, the batch 4 MiB over the limit
        await using (var store = StorageTestKit.Open(directory.Path, configure: NoCheckpoint))
        {
            try
            {
                await store.WriteAsync(writes);
            }
            catch (ArgumentException)
            {
                return; // refused before anything was acknowledged: fine
            }
        }

        await using var reopened = StorageTestKit.Open(directory.Path, configure: NoCheckpoint);
        Assert.True(writes.Length == reopened.Count, $"a batch of {writes.Length} writes was acknowledged; {reopened.Count} came back");
    }

    [Fact]
    public async Task WriteAsync_RecordOfTheLargestAllowedMaxRecordBytes_IsAcceptedWithALongKey()
    {
        using var directory = new TempDataDirectory();
        const int Largest = GroupCommitOptionsValidator.MaxRecordBytesLimit;
        var key = new string('k', 64 * 1024);
        await using (var store = StorageTestKit.Open(directory.Path, configure: o => o.MaxRecordBytes = Largest))
        {
            await store.WriteAsync(RecordWrite.Put(key, new byte[Largest], null));
        }

        await using var reopened = StorageTestKit.Open(directory.Path);
        Assert.Equal(Largest, (await reopened.ReadAsync(key))!.Value.Length);
    }
}
