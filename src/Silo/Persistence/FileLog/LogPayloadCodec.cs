using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Roundabout.Silo.Persistence.FileLog;

/// <summary>One write in the log: a put (<see cref="Value"/> set) or a delete.</summary>
internal readonly record struct LoggedWrite(string Key, byte[]? Value);

/// <summary>One acknowledged write batch: all its writes share its log sequence number, which is also their ETag.</summary>
internal sealed record LoggedBatch(long Lsn, LoggedWrite[] Writes);

/// <summary>
/// Payload layouts (little-endian).
/// Batch frame: <c>count u32, then per batch: lsn u64, writes u32, then per write: op u8 (1 put, 2 delete), key (len u32 + UTF-8), [value len u32 + bytes]</c>.
/// Checkpoint records frame: <c>checkpointLsn u64, count u32, then per record: lsn u64, key, value</c>.
/// Checkpoint end frame: <c>checkpointLsn u64, total records u64</c>.
/// </summary>
internal static class LogPayloadCodec
{
    private const byte PutOp = 1;
    private const byte DeleteOp = 2;

    public static int MeasureBatch(LoggedBatch batch)
    {
        var size = sizeof(long) + sizeof(int);
        foreach (var write in batch.Writes)
        {
            size += 1 + sizeof(int) + Encoding.UTF8.GetByteCount(write.Key);
            if (write.Value is { } value)
            {
                size += sizeof(int) + value.Length;
            }
        }

        return size;
    }

    public static void EncodeBatches(IBufferWriter<byte> output, IReadOnlyList<LoggedBatch> batches)
    {
        WriteUInt32(output, (uint)batches.Count);
        foreach (var batch in batches)
        {
            WriteUInt64(output, (ulong)batch.Lsn);
            WriteUInt32(output, (uint)batch.Writes.Length);
            foreach (var write in batch.Writes)
            {
                output.GetSpan(1)[0] = write.Value is null ? DeleteOp : PutOp;
                output.Advance(1);
                WriteString(output, write.Key);
                if (write.Value is { } value)
                {
                    WriteBytes(output, value);
                }
            }
        }
    }

    public static List<LoggedBatch> DecodeBatches(ReadOnlySpan<byte> payload)
    {
        var reader = new SpanReader(payload);
        var count = reader.ReadUInt32();
        var batches = new List<LoggedBatch>((int)Math.Min(count, 1 << 16));
        for (var i = 0; i < count; i++)
        {
            var lsn = (long)reader.ReadUInt64();
            var writes = new LoggedWrite[reader.ReadUInt32()];
            for (var w = 0; w < writes.Length; w++)
            {
                var op = reader.ReadByte();
                var key = reader.ReadString();
                writes[w] = op switch
                {
                    PutOp => new LoggedWrite(key, reader.ReadBytes()),
                    DeleteOp => new LoggedWrite(key, null),
                    _ => throw new InvalidDataException($"unknown write operation {op}"),
                };
            }

            batches.Add(new LoggedBatch(lsn, writes));
        }

        reader.EnsureConsumed();
        return batches;
    }

    public static void EncodeCheckpointRecords(IBufferWriter<byte> output, long checkpointLsn, IReadOnlyList<KeyValuePair<string, DurableRecord>> records)
    {
        WriteUInt64(output, (ulong)checkpointLsn);
        WriteUInt32(output, (uint)records.Count);
        foreach (var (key, record) in records)
        {
            WriteUInt64(output, (ulong)record.Lsn);
            WriteString(output, key);
            WriteBytes(output, record.Value);
        }
    }

    public static (long CheckpointLsn, List<KeyValuePair<string, DurableRecord>> Records) DecodeCheckpointRecords(ReadOnlySpan<byte> payload)
    {
        var reader = new SpanReader(payload);
        var checkpointLsn = (long)reader.ReadUInt64();
        var count = reader.ReadUInt32();
        var records = new List<KeyValuePair<string, DurableRecord>>((int)Math.Min(count, 1 << 16));
        for (var i = 0; i < count; i++)
        {
            var lsn = (long)reader.ReadUInt64();
            var key = reader.ReadString();
            records.Add(new(key, new DurableRecord(reader.ReadBytes(), lsn)));
        }

        reader.EnsureConsumed();
        return (checkpointLsn, records);
    }

    public static byte[] EncodeCheckpointEnd(long checkpointLsn, long totalRecords)
    {
        var payload = new byte[16];
        BinaryPrimitives.WriteInt64LittleEndian(payload, checkpointLsn);
        BinaryPrimitives.WriteInt64LittleEndian(payload.AsSpan(8), totalRecords);
        return payload;
    }

    public static (long CheckpointLsn, long TotalRecords) DecodeCheckpointEnd(ReadOnlySpan<byte> payload)
    {
        if (payload.Length != 16)
        {
            throw new InvalidDataException("checkpoint end frame has the wrong size");
        }

        return (BinaryPrimitives.ReadInt64LittleEndian(payload), BinaryPrimitives.ReadInt64LittleEndian(payload[8..]));
    }

    private static void WriteUInt32(IBufferWriter<byte> output, uint value)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(output.GetSpan(4), value);
        output.Advance(4);
    }

    private static void WriteUInt64(IBufferWriter<byte> output, ulong value)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(output.GetSpan(8), value);
        output.Advance(8);
    }

    private static void WriteString(IBufferWriter<byte> output, string value)
    {
        var length = Encoding.UTF8.GetByteCount(value);
        WriteUInt32(output, (uint)length);
        Encoding.UTF8.GetBytes(value, output.GetSpan(length));
        output.Advance(length);
    }

    private static void WriteBytes(IBufferWriter<byte> output, ReadOnlySpan<byte> value)
    {
        WriteUInt32(output, (uint)value.Length);
        value.CopyTo(output.GetSpan(value.Length));
        output.Advance(value.Length);
    }

    /// <summary>Reads a payload, failing with <see cref="InvalidDataException"/> instead of running past its end.</summary>
    private ref struct SpanReader(ReadOnlySpan<byte> span)
    {
        private readonly ReadOnlySpan<byte> _span = span;
        private int _position;

        public byte ReadByte() => Take(1)[0];

        public uint ReadUInt32() => BinaryPrimitives.ReadUInt32LittleEndian(Take(4));

        public ulong ReadUInt64() => BinaryPrimitives.ReadUInt64LittleEndian(Take(8));

        public string ReadString() => Encoding.UTF8.GetString(Take(checked((int)ReadUInt32())));

        public byte[] ReadBytes() => Take(checked((int)ReadUInt32())).ToArray();

        public readonly void EnsureConsumed()
        {
            if (_position != _span.Length)
            {
                throw new InvalidDataException($"{_span.Length - _position} unexpected bytes after the last entry");
            }
        }

        private ReadOnlySpan<byte> Take(int count)
        {
            if (count < 0 || _position + count > _span.Length)
            {
                throw new InvalidDataException("an entry runs past the end of its frame");
            }

            var slice = _span.Slice(_position, count);
            _position += count;
            return slice;
        }
    }
}

/// <summary>A live record as the log knows it: its value and the sequence number of the batch that wrote it.</summary>
internal readonly record struct DurableRecord(byte[] Value, long Lsn);
