using Roundabout.Silo.Persistence.FileLog;
using Roundabout.Silo.Persistence.GroupCommit;
using Roundabout.Storage;
using Roundabout.Tests.Infrastructure;

namespace Roundabout.Tests.Storage;

/// <summary>
/// The log on a disk that really fills up (a 256 KiB tmpfs), with its default preallocation of
/// 1 MiB: more than the whole disk. Preallocation must never cost a write that fits, and the
/// store must stop at the real ENOSPC with every acknowledged write recoverable.
/// </summary>
public sealed class RealDiskFullTests
{
    private const int DiskKiB = 256;
    private const int Preallocation = 1024 * 1024;

    [SmallTmpfsFact]
    public void OsLogFile_PreallocatingMoreThanTheDiskHolds_AppendsUntilTheDiskIsFullThenReportsDiskFull()
    {
        using var disk = SmallTmpfs.Mount(DiskKiB);
        var path = Path.Combine(disk.Path, "file");
        var appended = new List<byte>();
        IOException? full = null;

        using (var file = OsLogFileSystem.Instance.OpenAppend(path, Preallocation))
        {
            for (var i = 0; full is null; i++)
            {
                AssertStillWithinTheDisk(appended.Count);
                var chunk = Enumerable.Repeat((byte)(i + 1), i == 0 ? 100 : 4096).ToArray();
                try
                {
                    file.Append(chunk);
                    file.Sync();
                    appended.AddRange(chunk);
                    Assert.Equal(appended.Count, file.Length);
                }
                catch (IOException exception)
                {
                    full = exception;
                }
            }
        }

        Assert.True(DiskFullException.IsDiskFull(full), $"expected ENOSPC, got {full}");
        // Not the first append (which asked for 1 MiB of zeros ahead) but the one that found no room.
        Assert.True(appended.Count > (DiskKiB - 32) * 1024, $"only {appended.Count} bytes fitted on a {DiskKiB} KiB disk");
        // Closed, the file holds exactly the appends that returned: no zeros, no part of the failed one.
        Assert.Equal(appended, File.ReadAllBytes(path));
    }

    [SmallTmpfsFact]
    public async Task Store_OnADiskThatFillsUp_FailsWithDiskFullAndRecoversEveryAcknowledgedWrite()
    {
        using var disk = SmallTmpfs.Mount(DiskKiB);
        var directory = Path.Combine(disk.Path, "log");
        var acknowledged = new Dictionary<string, ExpectedRecord>();
        Exception? failure = null;

        var store = StorageTestKit.Open(directory, configure: options => options.PreallocateBytes = Preallocation);
        await using (store)
        {
            for (var i = 0; failure is null; i++)
            {
                AssertStillWithinTheDisk(acknowledged.Count * 1024);
                RecordWrite[] writes = [RecordWrite.Put($"k{i}", Enumerable.Repeat((byte)i, 1024).ToArray(), null)];
                try
                {
                    StorageTestKit.Apply(acknowledged, writes, await store.WriteAsync(writes));
                }
                catch (Exception exception)
                {
                    failure = exception;
                }
            }

            Assert.IsType<DiskFullException>(failure);
            Assert.Contains("is full; free space and restart the silo", failure.Message, StringComparison.Ordinal);
            Assert.True(acknowledged.Count > 150, $"only {acknowledged.Count} writes of 1 KiB fitted on a {DiskKiB} KiB disk");
            await Assert.ThrowsAsync<StoreFailedException>(() => store.WriteAsync([RecordWrite.Put("later", new byte[] { 1 }, null)]));
        }

        // Restarted on the same full disk, which preallocation finds full again.
        await using var reopened = StorageTestKit.Open(directory, configure: options => options.PreallocateBytes = Preallocation);
        await StorageTestKit.AssertHoldsExactlyAsync(reopened, acknowledged, [$"k{acknowledged.Count}", "later"]);
    }

    /// <summary>Bounds the loops that write until the disk is full: on any other disk they would fill it.</summary>
    private static void AssertStillWithinTheDisk(long written) =>
        Assert.True(written < 4 * DiskKiB * 1024, $"{written} bytes went in without running out of space: the path is not on the {DiskKiB} KiB tmpfs");
}
