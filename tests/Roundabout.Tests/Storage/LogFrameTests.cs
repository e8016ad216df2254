using System.Buffers;
using System.Buffers.Binary;
using Microsoft.Extensions.Logging.Abstractions;
using Roundabout.Silo.Persistence.FileLog;

namespace Roundabout.Tests.Storage;

public sealed class LogFrameTests
{
    private static readonly LoggedBatch[] SampleBatches =
    [
        new(1, [new LoggedWrite("plain", [1, 2, 3]), new LoggedWrite("gone", null), new LoggedWrite("empty", [])]),
        new(2, [new LoggedWrite("ключ/キー/🔑", StorageTestKit.Utf8("värde ✓")), new LoggedWrite("e\u0301", [0])]),
        new(long.MaxValue, [new LoggedWrite(new string('k', 1000), new byte[70_000])]),
    ];

    [Fact]
    public void EncodeBatches_PutsDeletesEmptyValuesAndUnicodeKeys_DecodeToTheSameBatches()
    {
        var buffer = new ArrayBufferWriter<byte>();
        LogPayloadCodec.EncodeBatches(buffer, SampleBatches);

        var decoded = LogPayloadCodec.DecodeBatches(buffer.WrittenSpan);

        Assert.Equal(SampleBatches.Length, decoded.Count);
        for (var b = 0; b < SampleBatches.Length; b++)
        {
            Assert.Equal(SampleBatches[b].Lsn, decoded[b].Lsn);
            Assert.Equal(SampleBatches[b].Writes.Length, decoded[b].Writes.Length);
            for (var w = 0; w < SampleBatches[b].Writes.Length; w++)
            {
                var expected = SampleBatches[b].Writes[w];
                var actual = decoded[b].Writes[w];
                Assert.Equal(expected.Key, actual.Key);
                Assert.Equal(expected.Value, actual.Value); // null stays null (delete), [] stays [] (empty put)
            }
        }
    }

    [Fact]
    public void MeasureBatch_AnyBatch_EqualsItsEncodedSize()
    {
        foreach (var batch in SampleBatches)
        {
            var buffer = new ArrayBufferWriter<byte>();
            LogPayloadCodec.EncodeBatches(buffer, [batch]);

            Assert.Equal(buffer.WrittenCount - sizeof(uint), LogPayloadCodec.MeasureBatch(batch));
        }
    }

    [Fact]
    public void EncodeCheckpointRecords_UnicodeKeysAndEmptyValues_DecodeToTheSameRecords()
    {
        KeyValuePair<string, DurableRecord>[] records =
        [
            new("a", new DurableRecord([1], 7)),
            new("空/🙂", new DurableRecord([], 8)),
            new("z", new DurableRecord(new byte[5000], long.MaxValue)),
        ];
        var buffer = new ArrayBufferWriter<byte>();
        LogPayloadCodec.EncodeCheckpointRecords(buffer, 42, records);

        var (lsn, decoded) = LogPayloadCodec.DecodeCheckpointRecords(buffer.WrittenSpan);

        Assert.Equal(42, lsn);
        Assert.Equal(records.Length, decoded.Count);
        for (var i = 0; i < records.Length; i++)
        {
            Assert.Equal(records[i].Key, decoded[i].Key);
            Assert.Equal(records[i].Value.Lsn, decoded[i].Value.Lsn);
            Assert.Equal(records[i].Value.Value, decoded[i].Value.Value);
        }
    }

    [Fact]
    public void EncodeCheckpointEnd_AnyCounts_DecodeToTheSameCounts()
    {
        var payload = LogPayloadCodec.EncodeCheckpointEnd(123_456_789_012, 1_000_000);

        Assert.Equal((123_456_789_012L, 1_000_000L), LogPayloadCodec.DecodeCheckpointEnd(payload));
        Assert.Throws<InvalidDataException>(() => LogPayloadCodec.DecodeCheckpointEnd(payload.AsSpan(1)));
    }

    [Fact]
    public void Build_AnyPayload_WritesTheDocumentedHeader()
    {
        var payload = StorageTestKit.Utf8("payload");

        var frame = LogFrame.Build(FrameKind.CheckpointRecords, payload);

        Assert.Equal(LogFrame.HeaderBytes + payload.Length, frame.Length);
        Assert.Equal((uint)payload.Length, BinaryPrimitives.ReadUInt32LittleEndian(frame));
        Assert.Equal(LogFrame.FormatVersion, frame[4]);
        Assert.Equal((byte)FrameKind.CheckpointRecords, frame[5]);
        Assert.Equal(0, BinaryPrimitives.ReadUInt16LittleEndian(frame.AsSpan(6)));
        Assert.Equal(LogFrame.Checksum(frame.AsSpan(4, 4), payload), BinaryPrimitives.ReadUInt32LittleEndian(frame.AsSpan(8)));
        Assert.Equal(payload, frame[LogFrame.HeaderBytes..]);
    }

    [Fact]
    public void Checksum_AnySingleByteOfMetaOrPayloadChanged_Differs()
    {
        byte[] meta = [LogFrame.FormatVersion, (byte)FrameKind.Batch, 0, 0];
        var payload = StorageTestKit.Utf8("some payload bytes");
        var original = LogFrame.Checksum(meta, payload);

        for (var i = 0; i < meta.Length; i++)
        {
            var changed = (byte[])meta.Clone();
            changed[i] ^= 0x01;
            Assert.NotEqual(original, LogFrame.Checksum(changed, payload));
        }

        for (var i = 0; i < payload.Length; i++)
        {
            var changed = (byte[])payload.Clone();
            changed[i] ^= 0x01;
            Assert.NotEqual(original, LogFrame.Checksum(meta, changed));
        }
    }

    /// <summary>
    /// A frame with any one byte flipped is not read as a valid frame: put it as the only frame of a
    /// segment that is followed by another segment (so it cannot pass for a torn tail) and recovery
    /// must refuse it, naming that frame.
    /// </summary>
    [Fact]
    public void Recover_FrameWithAnySingleByteFlipped_IsNotAcceptedAsValid()
    {
        var payload = new ArrayBufferWriter<byte>();
        LogPayloadCodec.EncodeBatches(payload, [new LoggedBatch(1, [new LoggedWrite("k", [1, 2, 3]), new LoggedWrite("d", null)])]);
        var frame = LogFrame.Build(FrameKind.Batch, payload.WrittenSpan);
        var next = new ArrayBufferWriter<byte>();
        LogPayloadCodec.EncodeBatches(next, [new LoggedBatch(2, [new LoggedWrite("n", [4])])]);
        var nextFrame = LogFrame.Build(FrameKind.Batch, next.WrittenSpan);

        for (var position = 0; position < frame.Length; position++)
        {
            using var directory = new TempDataDirectory();
            var damaged = (byte[])frame.Clone();
            damaged[position] ^= 0xFF;
            var first = Path.Combine(directory.Path, $"segment-{1:D20}.log");
            File.WriteAllBytes(first, damaged);
            File.WriteAllBytes(Path.Combine(directory.Path, $"segment-{2:D20}.log"), nextFrame);
            using var log = new FileRecordLog(directory.Path, OsLogFileSystem.Instance, 1 << 20, preallocateBytes: 0, NullLogger.Instance);

            var exception = Record.Exception(() => log.Recover());

            var corrupted = Assert.IsType<LogCorruptedException>(exception);
            Assert.Equal(first, corrupted.File);
            Assert.Equal(0, corrupted.Offset);
        }
    }

    [Fact]
    public void Recover_UndamagedFrames_AreAccepted()
    {
        using var directory = new TempDataDirectory();
        var payload = new ArrayBufferWriter<byte>();
        LogPayloadCodec.EncodeBatches(payload, [new LoggedBatch(1, [new LoggedWrite("k", [1, 2, 3])])]);
        File.WriteAllBytes(Path.Combine(directory.Path, $"segment-{1:D20}.log"), LogFrame.Build(FrameKind.Batch, payload.WrittenSpan));
        payload.ResetWrittenCount();
        LogPayloadCodec.EncodeBatches(payload, [new LoggedBatch(2, [new LoggedWrite("k", null), new LoggedWrite("m", [9])])]);
        File.WriteAllBytes(Path.Combine(directory.Path, $"segment-{2:D20}.log"), LogFrame.Build(FrameKind.Batch, payload.WrittenSpan));
        using var log = new FileRecordLog(directory.Path, OsLogFileSystem.Instance, 1 << 20, preallocateBytes: 0, NullLogger.Instance);

        var recovered = log.Recover();

        Assert.Equal(2, recovered.LastLsn);
        var only = Assert.Single(recovered.Records);
        Assert.Equal("m", only.Key);
        Assert.Equal(2, only.Value.Lsn);
        Assert.Equal([9], only.Value.Value);
    }

    [Theory]
    [InlineData("key")] // the key's length claims more bytes than the payload has
    [InlineData("value")] // the value's length claims more bytes than the payload has
    [InlineData("count")] // the batch count claims more batches than the payload has
    public void DecodeBatches_EntryRunningPastThePayload_IsRejected(string field)
    {
        var buffer = new ArrayBufferWriter<byte>();
        LogPayloadCodec.EncodeBatches(buffer, [new LoggedBatch(1, [new LoggedWrite("k", [1, 2, 3])])]);
        var payload = buffer.WrittenSpan.ToArray();
        // count u32 | lsn u64 | writes u32 | op u8 | key len u32 | 'k' | value len u32 | 1 2 3
        var (offset, claimed) = field switch
        {
            "count" => (0, 2u),
            "key" => (17, 100u),
            _ => (22, 4u),
        };
        BinaryPrimitives.WriteUInt32LittleEndian(payload.AsSpan(offset), claimed);

        Assert.Throws<InvalidDataException>(() => LogPayloadCodec.DecodeBatches(payload));
    }

    [Fact]
    public void DecodeBatches_BytesLeftAfterTheLastBatch_IsRejected()
    {
        var buffer = new ArrayBufferWriter<byte>();
        LogPayloadCodec.EncodeBatches(buffer, [new LoggedBatch(1, [new LoggedWrite("k", [1])])]);

        Assert.Throws<InvalidDataException>(() => LogPayloadCodec.DecodeBatches([.. buffer.WrittenSpan, 0]));
    }

    [Fact]
    public void DecodeCheckpointRecords_ValueRunningPastThePayload_IsRejected()
    {
        var buffer = new ArrayBufferWriter<byte>();
        LogPayloadCodec.EncodeCheckpointRecords(buffer, 5, [new("k", new DurableRecord([1, 2], 5))]);

        Assert.Throws<InvalidDataException>(() => LogPayloadCodec.DecodeCheckpointRecords(buffer.WrittenSpan[..^1]));
    }

    [Fact]
    public void Recover_ValidChecksumButPayloadRunningPastItsFrame_ThrowsLogCorrupted()
    {
        using var directory = new TempDataDirectory();
        var buffer = new ArrayBufferWriter<byte>();
        LogPayloadCodec.EncodeBatches(buffer, [new LoggedBatch(1, [new LoggedWrite("k", [1, 2, 3])])]);
        var segment = Path.Combine(directory.Path, $"segment-{1:D20}.log");
        File.WriteAllBytes(segment, LogFrame.Build(FrameKind.Batch, buffer.WrittenSpan[..^1])); // whole frame, right checksum, short payload
        using var log = new FileRecordLog(directory.Path, OsLogFileSystem.Instance, 1 << 20, preallocateBytes: 0, NullLogger.Instance);

        var exception = Assert.Throws<LogCorruptedException>(() => log.Recover());

        Assert.Equal(segment, exception.File);
        Assert.Equal(0, exception.Offset);
    }
}
