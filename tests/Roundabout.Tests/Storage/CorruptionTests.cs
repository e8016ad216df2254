using Roundabout.Silo.Persistence.FileLog;
using Roundabout.Silo.Persistence.GroupCommit;
using Roundabout.Storage;

namespace Roundabout.Tests.Storage;

/// <summary>
/// Damage anywhere but the torn tail must stop start-up with <see cref="LogCorruptedException"/>
/// naming the damaged file and frame, and must not change the files (no acknowledged write cut away).
/// </summary>
public sealed class CorruptionTests
{
    private const int LargeValueBytes = 600 * 1024;

    public static TheoryData<int> MiddleFramePositions()
    {
        var data = new TheoryData<int>();
        for (var i = 0; i < 12; i++)
        {
            data.Add(i); // every header byte: length, format, kind, reserved, crc
        }

        data.Add(12); // first payload byte
        data.Add(30); // inside the payload
        data.Add(-1); // last payload byte
        return data;
    }

    [Theory]
    [MemberData(nameof(MiddleFramePositions))]
    public async Task Open_ByteFlippedInAMiddleFrameOfTheLastSegment_ThrowsNamingThatFrame(int position)
    {
        using var directory = new TempDataDirectory();
        await TornTailTests.WriteBatchesAsync(directory.Path);
        var segment = Assert.Single(StorageTestKit.Segments(directory.Path));
        var frames = StorageTestKit.ReadFrames(segment);
        var middle = frames[frames.Count / 2];
        StorageTestKit.FlipByte(segment, middle.Offset + (position >= 0 ? position : middle.TotalBytes - 1));
        var damaged = File.ReadAllBytes(segment);

        GroupCommitRecordStore? opened = null;
        var exception = Record.Exception(() => opened = StorageTestKit.Open(directory.Path));

        if (opened is not null)
        {
            var count = opened.Count;
            await opened.DisposeAsync();
            Assert.Fail($"the store opened with {count} records and cut the segment from {damaged.Length} to {new FileInfo(segment).Length} bytes: "
                + $"the damaged frame at {middle.Offset} and the {frames.Count - frames.Count / 2 - 1} acknowledged frames after it are gone");
        }

        var corrupted = Assert.IsType<LogCorruptedException>(exception);
        Assert.Equal(segment, corrupted.File);
        Assert.Equal(middle.Offset, corrupted.Offset);
        Assert.Equal(damaged, File.ReadAllBytes(segment));
    }

    [Theory]
    [InlineData(2)] // the length
    [InlineData(4)] // the format byte
    [InlineData(8)] // the checksum
    [InlineData(100)] // the payload
    public async Task Open_ByteFlippedInTheLastFrameOfANonLastSegment_ThrowsNamingThatFrame(int position)
    {
        using var directory = new TempDataDirectory();
        await WriteLargeBatchesAsync(directory.Path, count: 3);
        var segments = StorageTestKit.Segments(directory.Path);
        Assert.Equal(2, segments.Length); // 1 MiB segments: two 600 KiB frames, then a new segment
        var victim = StorageTestKit.ReadFrames(segments[0])[^1];
        StorageTestKit.FlipByte(segments[0], victim.Offset + position);
        var damaged = File.ReadAllBytes(segments[0]);

        var exception = Assert.Throws<LogCorruptedException>(() => StorageTestKit.Open(directory.Path, configure: SmallSegments));

        Assert.Equal(segments[0], exception.File);
        Assert.Equal(victim.Offset, exception.Offset);
        Assert.Equal(damaged, File.ReadAllBytes(segments[0]));
    }

    [Fact]
    public async Task Open_NonLastSegmentCutInsideItsLastFrame_ThrowsNamingThatFrame()
    {
        using var directory = new TempDataDirectory();
        await WriteLargeBatchesAsync(directory.Path, count: 3);
        var segments = StorageTestKit.Segments(directory.Path);
        Assert.Equal(2, segments.Length);
        var victim = StorageTestKit.ReadFrames(segments[0])[^1];
        File.WriteAllBytes(segments[0], File.ReadAllBytes(segments[0])[..(int)(victim.Offset + 1000)]);

        var exception = Assert.Throws<LogCorruptedException>(() => StorageTestKit.Open(directory.Path, configure: SmallSegments));

        Assert.Equal(segments[0], exception.File);
        Assert.Equal(victim.Offset, exception.Offset);
        Assert.Equal(victim.Offset + 1000, new FileInfo(segments[0]).Length);
    }

    [Theory]
    [InlineData(0, 5)] // the records frame's kind byte
    [InlineData(0, 5000)] // inside the records
    [InlineData(1, 0)] // the end frame's length
    [InlineData(1, 20)] // the end frame's record count
    public async Task Open_ByteFlippedInTheCheckpoint_ThrowsNamingTheCheckpointFrame(int frameIndex, int position)
    {
        using var directory = new TempDataDirectory();
        await WriteCheckpointedLogAsync(directory.Path);
        var checkpoint = Assert.Single(StorageTestKit.Checkpoints(directory.Path));
        var frames = StorageTestKit.ReadFrames(checkpoint);
        Assert.Equal(2, frames.Count); // one records frame, one end frame
        StorageTestKit.FlipByte(checkpoint, frames[frameIndex].Offset + position);

        var exception = Assert.Throws<LogCorruptedException>(() => StorageTestKit.Open(directory.Path, configure: Compacting));

        Assert.Equal(checkpoint, exception.File);
        Assert.Equal(frames[frameIndex].Offset, exception.Offset);
    }

    [Fact]
    public async Task Open_CheckpointWithoutItsEndFrame_ThrowsNamingTheCheckpoint()
    {
        using var directory = new TempDataDirectory();
        await WriteCheckpointedLogAsync(directory.Path);
        var checkpoint = Assert.Single(StorageTestKit.Checkpoints(directory.Path));
        var end = StorageTestKit.ReadFrames(checkpoint)[^1];
        File.WriteAllBytes(checkpoint, File.ReadAllBytes(checkpoint)[..(int)end.Offset]);

        var exception = Assert.Throws<LogCorruptedException>(() => StorageTestKit.Open(directory.Path, configure: Compacting));

        Assert.Equal(checkpoint, exception.File);
        Assert.Equal(end.Offset, exception.Offset);
    }

    [Fact]
    public async Task Open_UndamagedCheckpointedLog_RecoversTheCheckpointAndTheTail()
    {
        using var directory = new TempDataDirectory();
        await WriteCheckpointedLogAsync(directory.Path);

        await using var store = StorageTestKit.Open(directory.Path, configure: Compacting);

        Assert.Equal(LargeValueBytes, (await store.ReadAsync("large-0"))!.Value.Length);
        Assert.Equal(LargeValueBytes, (await store.ReadAsync("large-1"))!.Value.Length);
        Assert.Equal(StorageTestKit.Utf8("tail"), (await store.ReadAsync("tail"))!.Value.ToArray());
    }

    /// <summary>
    /// A crash tears the last frame, and what was written of it may hold a record's value with
    /// bytes that look like a frame: a checkpoint frame, or a batch frame of batches already in
    /// the log. The log itself never writes either there, so this is still a torn tail.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Open_TornLastFrameHoldingAValueThatLooksLikeAFrame_RecoversAsATornTail(bool looksLikeABatch)
    {
        using var directory = new TempDataDirectory();
        byte[] lookalike;
        if (looksLikeABatch)
        {
            var payload = new System.Buffers.ArrayBufferWriter<byte>();
            LogPayloadCodec.EncodeBatches(payload, [new LoggedBatch(1, [new LoggedWrite("first", [9])])]);
            lookalike = LogFrame.Build(FrameKind.Batch, payload.WrittenSpan);
        }
        else
        {
            lookalike = LogFrame.Build(FrameKind.CheckpointEnd, new byte[16]);
        }

        var value = new byte[lookalike.Length + 200];
        lookalike.CopyTo(value, 0);
        await using (var store = StorageTestKit.Open(directory.Path))
        {
            await store.WriteAsync([RecordWrite.Put("first", StorageTestKit.Utf8("kept"), null)]);
            await store.WriteAsync([RecordWrite.Put("torn", value, null)]);
        }

        var segment = Assert.Single(StorageTestKit.Segments(directory.Path));
        File.WriteAllBytes(segment, File.ReadAllBytes(segment)[..^50]); // torn after the lookalike

        await using var reopened = StorageTestKit.Open(directory.Path);
        Assert.Equal("kept", System.Text.Encoding.UTF8.GetString((await reopened.ReadAsync("first"))!.Value.Span));
        Assert.Null(await reopened.ReadAsync("torn"));
    }

    [Fact]
    public async Task Open_SegmentMissingBetweenTwoOthers_ThrowsNamingTheMissingBatches()
    {
        using var directory = new TempDataDirectory();
        await WriteLargeBatchesAsync(directory.Path, 5);
        var segments = StorageTestKit.Segments(directory.Path);
        Assert.Equal(3, segments.Length);

        File.Delete(segments[1]);

        var thrown = Assert.Throws<LogCorruptedException>(() => StorageTestKit.Open(directory.Path, configure: SmallSegments));
        Assert.Contains("missing", thrown.Message, StringComparison.Ordinal);
    }

    private static void SmallSegments(GroupCommitOptions options) => options.SegmentBytes = 1024 * 1024;

    private static void Compacting(GroupCommitOptions options)
    {
        options.SegmentBytes = 1024 * 1024;
        options.CheckpointBytes = 1024 * 1024;
    }

    private static async Task WriteLargeBatchesAsync(string directory, int count)
    {
        await using var store = StorageTestKit.Open(directory, configure: SmallSegments);
        for (var i = 0; i < count; i++)
        {
            var value = new byte[LargeValueBytes];
            Random.Shared.NextBytes(value);
            await store.WriteAsync([RecordWrite.Put($"large-{i}", value, null)]);
        }
    }

    /// <summary>Two 600 KiB writes (past CheckpointBytes, so a checkpoint follows), then a small write in a new segment.</summary>
    private static async Task WriteCheckpointedLogAsync(string directory)
    {
        var files = new FaultInjectingLogFileSystem();
        await using (var store = StorageTestKit.Open(directory, files, Compacting))
        {
            for (var i = 0; i < 2; i++)
            {
                var value = new byte[LargeValueBytes];
                Random.Shared.NextBytes(value);
                await store.WriteAsync([RecordWrite.Put($"large-{i}", value, null)]);
            }

            Assert.True(SpinWait.SpinUntil(() => files.CheckpointsPublished == 1, TimeSpan.FromSeconds(30)), "no checkpoint was written");
            await store.WriteAsync([RecordWrite.Put("tail", StorageTestKit.Utf8("tail"), null)]);
        }

        Assert.Single(StorageTestKit.Checkpoints(directory));
        Assert.Single(StorageTestKit.Segments(directory)); // the segments the checkpoint covers are gone; the tail's remains
    }
}
