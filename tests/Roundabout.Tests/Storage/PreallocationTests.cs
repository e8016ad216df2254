using System.Buffers;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Roundabout.Silo.Persistence.FileLog;
using Roundabout.Silo.Persistence.GroupCommit;
using Roundabout.Storage;
using Roundabout.Tests.Infrastructure;

namespace Roundabout.Tests.Storage;

/// <summary>
/// The segment being written keeps zero-filled space ahead of its last frame, so that a flush's
/// fdatasync has only data to write. That space must never be taken for frames: a closed segment
/// is cut to its frames, and a killed process's zeros are cut on recovery with every batch kept.
/// </summary>
public sealed class PreallocationTests
{
    private const int Spare = 64 * 1024;

    [Fact]
    public void OsLogFile_WithPreallocation_KeepsZerosAheadOfItsAppendsAndIsCutToThemWhenClosed()
    {
        using var directory = new TempDataDirectory();
        var path = Path.Combine(directory.Path, "file");
        var first = Filled(100, 1);
        var second = Filled(Spare + 5000, 2); // more than the spare space: it must grow again

        using (var file = OsLogFileSystem.Instance.OpenAppend(path, Spare))
        {
            file.Append(first);
            file.Sync();
            Assert.Equal(100, file.Length);
            AssertZerosAfter(path, first, atLeast: Spare);

            file.Append(second);
            file.Sync();
            Assert.Equal(first.Length + second.Length, file.Length);
            AssertZerosAfter(path, [.. first, .. second], atLeast: Spare);
        }

        Assert.Equal([.. first, .. second], File.ReadAllBytes(path));

        // Opened again, it appends after its last append, not after the space it once had.
        using (var reopened = OsLogFileSystem.Instance.OpenAppend(path, Spare))
        {
            Assert.Equal(first.Length + second.Length, reopened.Length);
            reopened.Append(first);
        }

        Assert.Equal([.. first, .. second, .. first], File.ReadAllBytes(path));
    }

    [Fact]
    public void OsLogFile_WithoutPreallocation_GrowsWithItsAppends()
    {
        using var directory = new TempDataDirectory();
        var path = Path.Combine(directory.Path, "file");
        using var file = OsLogFileSystem.Instance.OpenAppend(path, preallocateBytes: 0);

        file.Append(Filled(100, 1));

        Assert.Equal(100, file.Length);
        Assert.Equal(100, new FileInfo(path).Length);
    }

    /// <summary>
    /// What a killed silo leaves: the segment as it is on disk while the store writes, frames then
    /// zeros. Recovery keeps every batch, cuts the zeros, and the store writes on after them.
    /// </summary>
    [Fact]
    public async Task Recover_SegmentCopiedWhileItsStoreWasWriting_KeepsEveryBatchAndCutsTheZeros()
    {
        using var writing = new TempDataDirectory();
        using var killed = new TempDataDirectory();
        var (models, keys) = await TornTailTests.WriteBatchesAsync(writing.Path, whileOpen: segment =>
        {
            var framesEnd = StorageTestKit.ReadFrames(segment).TakeWhile(frame => frame.Kind != 0).Last().End;
            AssertZerosAfter(segment, ReadShared(segment)[..(int)framesEnd], atLeast: 1);
            File.Copy(segment, Path.Combine(killed.Path, Path.GetFileName(segment)));
        });
        var expected = new Dictionary<string, ExpectedRecord>(models[^1]);
        var copied = Assert.Single(StorageTestKit.Segments(killed.Path));

        var log = new RecordingLogger<GroupCommitRecordStore>();
        await using (var store = new GroupCommitRecordStore(Options.Create(new GroupCommitOptions { DataDirectory = killed.Path }), log))
        {
            await StorageTestKit.AssertHoldsExactlyAsync(store, expected, keys);
            // Said as what it is: space never written, not a write torn by a crash.
            Assert.Contains(log.Messages, m => m.Level == LogLevel.Information && m.Text.Contains("zero-filled space", StringComparison.Ordinal));
            Assert.DoesNotContain(log.Messages, m => m.Level >= LogLevel.Warning);
            Assert.Equal(StorageTestKit.ReadFrames(copied)[^1].End, new FileInfo(copied).Length);
            RecordWrite[] after = [RecordWrite.Put("after", StorageTestKit.Utf8("written after recovery"), null)];
            StorageTestKit.Apply(expected, after, await store.WriteAsync(after));
        }

        await using var reopened = StorageTestKit.Open(killed.Path);
        await StorageTestKit.AssertHoldsExactlyAsync(reopened, expected, [.. keys, "after"]);
    }

    /// <summary>A crash in the middle of a frame's write into the preallocated space: the frame is torn, whatever zeros follow it.</summary>
    [Fact]
    public async Task Recover_FrameTornInsideThePreallocatedSpace_IsCutAndTheEarlierBatchesKept()
    {
        using var writing = new TempDataDirectory();
        using var killed = new TempDataDirectory();
        var (models, keys) = await TornTailTests.WriteBatchesAsync(writing.Path, whileOpen: segment =>
            File.Copy(segment, Path.Combine(killed.Path, Path.GetFileName(segment))));
        var copy = Assert.Single(StorageTestKit.Segments(killed.Path));
        var bytes = File.ReadAllBytes(copy);
        var last = StorageTestKit.ReadFrames(copy).TakeWhile(frame => frame.Kind != 0).Last();
        Array.Clear(bytes, (int)(last.Offset + last.TotalBytes / 2), last.TotalBytes - last.TotalBytes / 2); // its second half never reached the disk
        File.WriteAllBytes(copy, bytes);
        var expected = new Dictionary<string, ExpectedRecord>(models[^2]);

        await using (var store = StorageTestKit.Open(killed.Path))
        {
            await StorageTestKit.AssertHoldsExactlyAsync(store, expected, keys);
            Assert.Equal(last.Offset, new FileInfo(copy).Length);
        }
    }

    /// <summary>
    /// Only the segment being written can end in zeros: a closed one is cut first. Zeros after the
    /// frames of an earlier segment mean that frames were lost there, which recovery must not skip.
    /// </summary>
    [Fact]
    public void Recover_NonLastSegmentEndingInZeros_ThrowsNamingIt()
    {
        using var directory = new TempDataDirectory();
        var first = Path.Combine(directory.Path, $"segment-{1:D20}.log");
        File.WriteAllBytes(first, [.. BatchFrame(1), .. new byte[4096]]);
        File.WriteAllBytes(Path.Combine(directory.Path, $"segment-{2:D20}.log"), BatchFrame(2));
        using var log = new FileRecordLog(directory.Path, OsLogFileSystem.Instance, 1 << 20, preallocateBytes: Spare, NullLogger.Instance);

        var exception = Assert.Throws<LogCorruptedException>(() => log.Recover());

        Assert.Equal(first, exception.File);
        Assert.Equal(BatchFrame(1).Length, exception.Offset);
    }

    /// <summary>Closing the segment at shutdown now writes (the cut and its sync), so it can fail; the directory must not stay locked.</summary>
    [Fact]
    public async Task Dispose_SegmentCloseFails_TheDirectoryCanBeOpenedAgain()
    {
        using var directory = new TempDataDirectory();
        var files = new FaultInjectingLogFileSystem();
        var store = StorageTestKit.Open(directory.Path, files);
        var etags = await store.WriteAsync([RecordWrite.Put("k", Filled(1000, 3), null)]);
        files.FailClose(1, new IOException("injected close failure"));

        await Assert.ThrowsAsync<IOException>(async () => await store.DisposeAsync());

        await using var reopened = StorageTestKit.Open(directory.Path);
        await StorageTestKit.AssertHoldsExactlyAsync(reopened, new Dictionary<string, ExpectedRecord> { ["k"] = new(Filled(1000, 3), etags[0]!) }, ["k"]);
    }

    /// <summary>Segments closed by a roll end with their last frame, so recovery, which accepts damage only at the log's end, reads them whole.</summary>
    [Fact]
    public async Task Roll_ClosedSegments_EndWithTheirLastFrame()
    {
        using var directory = new TempDataDirectory();
        var expected = new Dictionary<string, ExpectedRecord>(StringComparer.Ordinal);
        var keys = new List<string>();
        await using (var store = StorageTestKit.Open(directory.Path, configure: SmallSegments))
        {
            for (var i = 0; i < 40; i++)
            {
                RecordWrite[] writes = [RecordWrite.Put($"k{i}", Filled(100 * 1024, (byte)i), null)];
                StorageTestKit.Apply(expected, writes, await store.WriteAsync(writes));
                keys.Add($"k{i}");
            }

            var segments = StorageTestKit.Segments(directory.Path);
            Assert.True(segments.Length >= 3, $"expected several segments, found {segments.Length}");
            foreach (var closed in segments[..^1])
            {
                var frames = StorageTestKit.ReadFrames(closed);
                Assert.All(frames, frame => Assert.Equal(1, frame.Kind));
                Assert.Equal(frames[^1].End, new FileInfo(closed).Length);
            }

            // The one being written has its spare space.
            Assert.True(new FileInfo(segments[^1]).Length > StorageTestKit.ReadFrames(segments[^1]).TakeWhile(frame => frame.Kind != 0).Last().End);
        }

        await using var reopened = StorageTestKit.Open(directory.Path, configure: SmallSegments);
        await StorageTestKit.AssertHoldsExactlyAsync(reopened, expected, keys);
    }

    [Fact]
    public async Task Store_WithPreallocationOff_WritesSegmentsThatEndWithTheirLastFrame()
    {
        using var directory = new TempDataDirectory();
        await using var store = StorageTestKit.Open(directory.Path, configure: options => options.PreallocateBytes = 0);

        await store.WriteAsync([RecordWrite.Put("k", Filled(1000, 7), null)]);

        var segment = Assert.Single(StorageTestKit.Segments(directory.Path));
        Assert.Equal(StorageTestKit.ReadFrames(segment)[^1].End, new FileInfo(segment).Length);
    }

    private static void SmallSegments(GroupCommitOptions options)
    {
        options.SegmentBytes = 1024 * 1024;
        options.CheckpointBytes = 64L * 1024 * 1024; // no checkpoint: the segments stay to be looked at
        options.PreallocateBytes = Spare; // whatever the platform's default
    }

    private static byte[] BatchFrame(long lsn)
    {
        var payload = new ArrayBufferWriter<byte>();
        LogPayloadCodec.EncodeBatches(payload, [new LoggedBatch(lsn, [new LoggedWrite($"k{lsn}", [1, 2, 3])])]);
        return LogFrame.Build(FrameKind.Batch, payload.WrittenSpan);
    }

    private static byte[] Filled(int length, byte value) => Enumerable.Repeat(value, length).ToArray();

    /// <summary>The file holds <paramref name="content"/>, then at least <paramref name="atLeast"/> zero bytes and nothing else.</summary>
    private static void AssertZerosAfter(string path, byte[] content, int atLeast)
    {
        var bytes = ReadShared(path);
        Assert.True(bytes.Length >= content.Length + atLeast, $"the file is {bytes.Length} bytes; expected {content.Length} appended and at least {atLeast} zeros after them");
        Assert.Equal(content, bytes[..content.Length]);
        Assert.DoesNotContain(bytes[content.Length..], b => b != 0);
    }

    /// <summary>Reads a file that a store may be writing.</summary>
    private static byte[] ReadShared(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        return bytes;
    }
}
