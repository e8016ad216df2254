using System.Diagnostics;
using Roundabout.Silo.Persistence.FileLog;
using Roundabout.Storage;

namespace Roundabout.Tests.Storage;

/// <summary>
/// One store per data directory: two (two silos, or a command beside a running one) would append
/// to the same segments and tear each other's frames, so the second is refused and nothing is written.
/// </summary>
public sealed class DataDirectoryLockTests
{
    [Fact]
    public async Task Open_DirectoryInUseByAnotherStore_IsRefusedUntilThatOneIsDisposed()
    {
        using var directory = new TempDataDirectory();
        var first = StorageTestKit.Open(directory.Path);
        await first.WriteAsync(RecordWrite.Put("key", StorageTestKit.Utf8("first"), null));

        var refused = Assert.Throws<DataDirectoryInUseException>(() => StorageTestKit.Open(directory.Path));
        Assert.Contains(Path.GetFullPath(directory.Path), refused.Message, StringComparison.Ordinal);

        await first.DisposeAsync();
        await using var second = StorageTestKit.Open(directory.Path);
        Assert.Equal("first", System.Text.Encoding.UTF8.GetString((await second.ReadAsync("key"))!.Value.Span));
    }

    [Fact]
    public async Task Open_DirectoryLockedByAnotherProcess_IsRefused()
    {
        using var directory = new TempDataDirectory();
        await using (StorageTestKit.Open(directory.Path))
        {
        }

        // util-linux's flock(1) takes the same kind of lock in a process of its own (--close: the
        // lock stays with flock itself, not with the sleep it runs, so it goes when flock is killed).
        using var holder = Process.Start(new ProcessStartInfo("flock", ["--exclusive", "--close", Path.Combine(directory.Path, "LOCK"), "sleep", "30"]))!;
        try
        {
            Assert.True(
                SpinWait.SpinUntil(() => Record.Exception(() => StorageTestKit.Open(directory.Path).DisposeAsync().AsTask().Wait()) is DataDirectoryInUseException, TimeSpan.FromSeconds(10)),
                "the store opened a directory another process holds");
        }
        finally
        {
            holder.Kill(entireProcessTree: true);
            await holder.WaitForExitAsync();
        }

        // The lock dies with its process (the kernel may take a moment to close its files).
        Assert.True(
            SpinWait.SpinUntil(() => Record.Exception(() => StorageTestKit.Open(directory.Path).DisposeAsync().AsTask().Wait()) is null, TimeSpan.FromSeconds(10)),
            "the directory stayed locked after the process that held it was killed");
    }

    [Fact]
    public void Open_LockFileCannotBeCreated_SaysWhy_NotThatAnotherStoreHoldsIt()
    {
        // A path the file system refuses for a reason of its own (here a link into a directory
        // that does not exist; a read-only file system is another): not "in use by another silo".
        using var directory = new TempDataDirectory();
        Directory.CreateDirectory(directory.Path);
        File.CreateSymbolicLink(Path.Combine(directory.Path, "LOCK"), Path.Combine(directory.Path, "missing", "LOCK"));

        var refused = Assert.ThrowsAny<IOException>(() => StorageTestKit.Open(directory.Path));

        Assert.IsNotType<DataDirectoryInUseException>(refused);
        Assert.DoesNotContain("in use", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Open_RecoveryFails_TheDirectoryIsNotLeftLocked()
    {
        using var directory = new TempDataDirectory();
        await using (var store = StorageTestKit.Open(directory.Path))
        {
            await store.WriteAsync(RecordWrite.Put("key", StorageTestKit.Utf8("value"), null));
        }

        var checkpoint = Path.Combine(directory.Path, $"checkpoint-{1:D20}.ckpt");
        File.WriteAllBytes(checkpoint, [1, 2, 3]); // a checkpoint that cannot be read
        Assert.Throws<LogCorruptedException>(() => StorageTestKit.Open(directory.Path));

        File.Delete(checkpoint);
        await using var reopened = StorageTestKit.Open(directory.Path);
        Assert.NotNull(await reopened.ReadAsync("key"));
    }
}
