using System.Buffers.Binary;
using System.IO.Hashing;

namespace Roundabout.Silo.Persistence.FileLog;

/// <summary>What a frame holds.</summary>
internal enum FrameKind : byte
{
    /// <summary>One flush of the writer loop: write batches in log order.</summary>
    Batch = 1,

    /// <summary>Part of a checkpoint: live records.</summary>
    CheckpointRecords = 2,

    /// <summary>The last frame of a checkpoint; a checkpoint without it is incomplete.</summary>
    CheckpointEnd = 3,
}

/// <summary>
/// The unit of the log files: <c>[length u32][format u8][kind u8][reserved u16][crc32 u32][payload]</c>,
/// little-endian; the CRC covers format, kind, reserved and payload. A flush is one frame, so a
/// torn write can only damage the last frame of a file.
/// </summary>
internal static class LogFrame
{
    public const int HeaderBytes = 12;

    public const byte FormatVersion = 1;

    /// <summary>No frame is larger; a length above it is corruption, not a frame.</summary>
    public const int MaxPayloadBytes = 256 * 1024 * 1024;

    public static void WriteHeader(Span<byte> header, FrameKind kind, ReadOnlySpan<byte> payload)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(header, (uint)payload.Length);
        header[4] = FormatVersion;
        header[5] = (byte)kind;
        header[6] = 0;
        header[7] = 0;
        BinaryPrimitives.WriteUInt32LittleEndian(header[8..], Checksum(header[4..8], payload));
    }

    public static uint Checksum(ReadOnlySpan<byte> meta, ReadOnlySpan<byte> payload)
    {
        var crc = new Crc32();
        crc.Append(meta);
        crc.Append(payload);
        return crc.GetCurrentHashAsUInt32();
    }

    /// <summary>Builds a whole frame in one buffer.</summary>
    public static byte[] Build(FrameKind kind, ReadOnlySpan<byte> payload)
    {
        var frame = new byte[HeaderBytes + payload.Length];
        payload.CopyTo(frame.AsSpan(HeaderBytes));
        WriteHeader(frame, kind, frame.AsSpan(HeaderBytes));
        return frame;
    }
}

/// <summary>The outcome of reading one frame at an offset.</summary>
internal enum FrameReadStatus
{
    Ok,

    /// <summary>The file ends inside the frame (or exactly where it starts: <see cref="EndOfFile"/>).</summary>
    Truncated,

    /// <summary>The frame is whole but its checksum, format or length is wrong.</summary>
    Corrupt,

    EndOfFile,
}
