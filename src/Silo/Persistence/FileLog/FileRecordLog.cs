using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using Microsoft.Extensions.Logging;

namespace Roundabout.Silo.Persistence.FileLog;

/// <summary>
/// The files of the embedded log: append-only segments of frames, plus checkpoints.
/// Not thread-safe: the store's writer loop is its only appender; a checkpoint is written
/// beside it into files of its own.
/// </summary>
/// <remarks>
/// Files in the data directory:
/// - <c>segment-{firstLsn:D20}.log</c>: frames of write batches, each frame one flush.
/// - <c>checkpoint-{lsn:D20}.ckpt</c>: every live record as of <c>lsn</c>; written as
///   <c>.tmp</c>, synced, then renamed, so a file with this name is always complete.
/// Recovery loads the newest checkpoint and replays the segments' batches above its LSN.
/// </remarks>
internal sealed partial class FileRecordLog : IDisposable
{
    private const string SegmentPrefix = "segment-";
    private const string SegmentSuffix = ".log";
    private const string CheckpointPrefix = "checkpoint-";
    private const string CheckpointSuffix = ".ckpt";
    private const string TemporarySuffix = ".tmp";

    private readonly string _directory;
    private readonly ILogFileSystem _files;
    private readonly long _segmentBytes;
    private readonly int _preallocateBytes;
    private readonly ILogger _logger;
    private ILogFile? _segment;
    private IDisposable? _lock;

    /// <param name="preallocateBytes">How much zero-filled space the segment being written keeps ahead of its last frame (see <see cref="ILogFileSystem.OpenAppend"/>); 0 for none.</param>
    public FileRecordLog(string directory, ILogFileSystem files, long segmentBytes, int preallocateBytes, ILogger logger)
    {
        _directory = Path.GetFullPath(directory);
        _files = files;
        _segmentBytes = segmentBytes;
        _preallocateBytes = preallocateBytes;
        _logger = logger;
    }

    public string Directory => _directory;

    /// <summary>
    /// Reads the directory back into the live records. A torn last frame (a crash during its
    /// write, before anyone was told it was durable) is cut off and logged; damage anywhere
    /// else throws <see cref="LogCorruptedException"/>.
    /// </summary>
    public RecoveredLog Recover()
    {
        _files.CreateDirectory(_directory);
        _lock = LockDirectory();
        try
        {
            return RecoverLocked();
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>
    /// One store per directory: a second one (another silo or command on the same data directory)
    /// would append to the same segments and tear each other's frames.
    /// </summary>
    private IDisposable LockDirectory()
    {
        try
        {
            return _files.LockExclusively(Path.Combine(_directory, DataDirectoryPath.LockFileName));
        }
        catch (LockHeldException exception)
        {
            throw new DataDirectoryInUseException(_directory, exception);
        }
    }

    private RecoveredLog RecoverLocked()
    {
        foreach (var leftover in _files.ListFiles(_directory, "*" + TemporarySuffix))
        {
            _files.Delete(leftover); // an unfinished checkpoint: never referenced
        }

        var records = new Dictionary<string, DurableRecord>(StringComparer.Ordinal);
        var checkpointLsn = 0L;
        var newestCheckpoint = Checkpoints().LastOrDefault();
        if (newestCheckpoint is not null)
        {
            checkpointLsn = LoadCheckpoint(newestCheckpoint, records);
        }

        var lastLsn = checkpointLsn;
        var segments = Segments();
        var replayedBatches = 0L;
        for (var i = 0; i < segments.Count; i++)
        {
            var isLast = i == segments.Count - 1;
            var segment = segments[i];
            ReplaySegment(segment, isLast, () => lastLsn, (batch, offset) =>
            {
                if (batch.Lsn <= checkpointLsn)
                {
                    return;
                }

                if (batch.Lsn <= lastLsn)
                {
                    throw new LogCorruptedException(segment, offset, $"batch {batch.Lsn} appears after batch {lastLsn}");
                }

                // Batches are numbered without gaps (a restart goes on from the last durable one),
                // so a gap is a lost segment, never a crash.
                if (batch.Lsn != lastLsn + 1)
                {
                    throw new LogCorruptedException(segment, offset, $"batch {batch.Lsn} follows batch {lastLsn}: batches {lastLsn + 1} to {batch.Lsn - 1} are missing (a segment was lost or removed)");
                }

                lastLsn = batch.Lsn;
                replayedBatches++;
                foreach (var write in batch.Writes)
                {
                    if (write.Value is { } value)
                    {
                        records[write.Key] = new DurableRecord(value, batch.Lsn);
                    }
                    else
                    {
                        records.Remove(write.Key);
                    }
                }
            });
        }

        if (segments.Count > 0)
        {
            _segment = _files.OpenAppend(segments[^1], _preallocateBytes);
        }

        LogRecovered(_logger, _directory, records.Count, checkpointLsn, replayedBatches, lastLsn);
        var bytesSinceCheckpoint = Segments().Sum(_files.GetLength);
        return new RecoveredLog(records, lastLsn, bytesSinceCheckpoint);
    }

    /// <summary>Appends one frame (one flush) whose first batch has <paramref name="firstLsn"/>. Not durable until <see cref="Sync"/>.</summary>
    public void Append(ReadOnlySpan<byte> frame, long firstLsn)
    {
        if (_segment is null || _segment.Length >= _segmentBytes)
        {
            StartSegment(firstLsn);
        }

        _segment!.Append(frame);
    }

    public void Sync() => _segment?.Sync();

    /// <summary>Closes the current segment so that the next frame starts a new one (before a checkpoint).</summary>
    public void Roll()
    {
        var segment = _segment;
        _segment = null; // closed even if closing throws: it is never written again
        segment?.Dispose();
    }

    /// <summary>
    /// Writes a checkpoint of <paramref name="records"/> as of <paramref name="lsn"/>, then deletes
    /// the segments and checkpoints it makes unnecessary. Call <see cref="Roll"/> first, at
    /// <paramref name="lsn"/>, so that no segment holds batches on both sides of it.
    /// </summary>
    public void WriteCheckpoint(long lsn, IReadOnlyList<KeyValuePair<string, DurableRecord>> records)
    {
        var name = Path.Combine(_directory, $"{CheckpointPrefix}{lsn:D20}{CheckpointSuffix}");
        if (Checkpoints().Any(existing => Path.GetFileName(existing) == Path.GetFileName(name)))
        {
            // Already written (before a restart that found nothing new to log): it is complete,
            // since it only got its name after its sync. Just finish the clean-up it allows.
            DeleteCoveredFiles(lsn);
            return;
        }

        var temporary = name + TemporarySuffix;
        try
        {
            WriteCheckpointFile(temporary, lsn, records);
            _files.Move(temporary, name);
        }
        catch
        {
            // A half-written checkpoint is useless (recovery ignores it), and on a full disk it
            // holds the space the log needs.
            try
            {
                _files.Delete(temporary);
            }
            catch (IOException)
            {
            }

            throw;
        }

        _files.SyncDirectory(_directory);

        // Only now is it safe to drop what the checkpoint covers.
        DeleteCoveredFiles(lsn);
        LogCheckpointWritten(_logger, lsn, records.Count);
    }

    private void WriteCheckpointFile(string temporary, long lsn, IReadOnlyList<KeyValuePair<string, DurableRecord>> records)
    {
        using (var file = _files.OpenAppend(temporary, preallocateBytes: 0))
        {
            var buffer = new ArrayBufferWriter<byte>(1 << 20);
            var start = 0;
            while (start < records.Count)
            {
                var chunk = new List<KeyValuePair<string, DurableRecord>>();
                var bytes = 0L;
                while (start < records.Count && bytes < 4 * 1024 * 1024)
                {
                    chunk.Add(records[start]);
                    bytes += records[start].Key.Length * 3 + records[start].Value.Value.Length + 16;
                    start++;
                }

                buffer.ResetWrittenCount();
                LogPayloadCodec.EncodeCheckpointRecords(buffer, lsn, chunk);
                file.Append(LogFrame.Build(FrameKind.CheckpointRecords, buffer.WrittenSpan));
            }

            file.Append(LogFrame.Build(FrameKind.CheckpointEnd, LogPayloadCodec.EncodeCheckpointEnd(lsn, records.Count)));
            file.Sync();
        }
    }

    private void DeleteCoveredFiles(long lsn)
    {
        foreach (var segment in Segments().Where(s => FirstLsnOf(s, SegmentPrefix, SegmentSuffix) <= lsn))
        {
            _files.Delete(segment);
        }

        foreach (var older in Checkpoints().Where(c => FirstLsnOf(c, CheckpointPrefix, CheckpointSuffix) < lsn))
        {
            _files.Delete(older);
        }

        _files.SyncDirectory(_directory);
    }

    public void Dispose()
    {
        try
        {
            Roll();
        }
        finally
        {
            // Released whatever closing the segment did, or the directory stays locked in this process.
            _lock?.Dispose();
            _lock = null;
        }
    }

    private void StartSegment(long firstLsn)
    {
        _segment?.Sync();
        Roll();
        _segment = _files.OpenAppend(Path.Combine(_directory, $"{SegmentPrefix}{firstLsn:D20}{SegmentSuffix}"), _preallocateBytes);
        _files.SyncDirectory(_directory);
    }

    private List<string> Segments() => Sorted(_files.ListFiles(_directory, SegmentPrefix + "*" + SegmentSuffix), SegmentPrefix, SegmentSuffix);

    private List<string> Checkpoints() => Sorted(_files.ListFiles(_directory, CheckpointPrefix + "*" + CheckpointSuffix), CheckpointPrefix, CheckpointSuffix);

    private static List<string> Sorted(IEnumerable<string> files, string prefix, string suffix) =>
        files.OrderBy(f => FirstLsnOf(f, prefix, suffix)).ToList();

    private static long FirstLsnOf(string file, string prefix, string suffix)
    {
        var name = Path.GetFileName(file);
        var digits = name.AsSpan(prefix.Length, name.Length - prefix.Length - suffix.Length);
        return long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var lsn)
            ? lsn
            : throw new LogCorruptedException(file, 0, "its name does not carry a sequence number");
    }

    private long LoadCheckpoint(string file, Dictionary<string, DurableRecord> records)
    {
        var expectedLsn = FirstLsnOf(file, CheckpointPrefix, CheckpointSuffix);
        using var stream = _files.OpenRead(file);
        var offset = 0L;
        while (true)
        {
            var (status, kind, payload) = ReadFrame(stream);
            switch (status)
            {
                case FrameReadStatus.Ok when kind == FrameKind.CheckpointRecords:
                    var (lsn, chunk) = Decode(file, offset, () => LogPayloadCodec.DecodeCheckpointRecords(payload));
                    if (lsn != expectedLsn)
                    {
                        throw new LogCorruptedException(file, offset, $"a frame of checkpoint {lsn} in the file of checkpoint {expectedLsn}");
                    }

                    foreach (var (key, record) in chunk)
                    {
                        records[key] = record;
                    }

                    break;
                case FrameReadStatus.Ok when kind == FrameKind.CheckpointEnd:
                    var (endLsn, total) = Decode(file, offset, () => LogPayloadCodec.DecodeCheckpointEnd(payload));
                    if (endLsn != expectedLsn || total != records.Count)
                    {
                        throw new LogCorruptedException(file, offset, $"the end frame says {total} records at {endLsn}, the file holds {records.Count} at {expectedLsn}");
                    }

                    return expectedLsn;
                case FrameReadStatus.EndOfFile:
                    throw new LogCorruptedException(file, offset, "the checkpoint has no end frame");
                default:
                    throw new LogCorruptedException(file, offset, $"the checkpoint frame is {status.ToString().ToLowerInvariant()} (kind {kind})");
            }

            offset += LogFrame.HeaderBytes + payload.Length;
        }
    }

    private void ReplaySegment(string file, bool isLast, Func<long> lastReplayedLsn, Action<LoggedBatch, long> apply)
    {
        long offset = 0;
        using (var stream = _files.OpenRead(file))
        {
            while (true)
            {
                var (status, kind, payload) = ReadFrame(stream);
                if (status == FrameReadStatus.EndOfFile)
                {
                    return;
                }

                if (status == FrameReadStatus.Ok && kind == FrameKind.Batch)
                {
                    foreach (var batch in Decode(file, offset, () => LogPayloadCodec.DecodeBatches(payload)))
                    {
                        apply(batch, offset);
                    }

                    offset += LogFrame.HeaderBytes + payload.Length;
                    continue;
                }

                // The zeros the segment being written keeps ahead of its last frame (a closed one
                // is cut to its frames): nothing was ever written there.
                if (isLast && _preallocateBytes > 0 && IsZeroFilledFrom(stream, offset))
                {
                    LogPreallocatedSpaceCut(_logger, file, offset, stream.Length - offset);
                    break;
                }

                // A crash can only tear the frame being written when it struck: the last one of the
                // last segment, since a flush writes one frame and the next flush starts only after
                // the sync. So a bad frame is a torn tail only if nothing valid comes after it;
                // a valid frame after it means the log was damaged in the middle.
                if (isLast && !HasLaterBatchFrameAfter(stream, offset, lastReplayedLsn()))
                {
                    LogTornTail(_logger, file, offset, stream.Length - offset, status);
                    break;
                }

                throw new LogCorruptedException(file, offset, $"the frame is {status.ToString().ToLowerInvariant()} (kind {kind}) and is not the log's last");
            }
        }

        _files.Truncate(file, offset);
    }

    /// <summary>Whether every byte from <paramref name="offset"/> to the end of the file is zero.</summary>
    private static bool IsZeroFilledFrom(Stream stream, long offset)
    {
        stream.Position = offset;
        var buffer = new byte[64 * 1024];
        int read;
        while ((read = stream.Read(buffer)) > 0)
        {
            if (buffer.AsSpan(0, read).ContainsAnyExcept((byte)0))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Looks for a frame after <paramref name="badOffset"/> that the log itself could have written
    /// there: whole and checksummed, a batch frame (all a segment holds), and carrying batches
    /// after <paramref name="lastLsn"/>. Bytes that merely look like a frame (inside a record's
    /// value in the torn frame, say) do not count, or a torn tail would be taken for damage.
    /// </summary>
    private static bool HasLaterBatchFrameAfter(Stream stream, long badOffset, long lastLsn)
    {
        stream.Position = badOffset;
        var rest = new byte[stream.Length - badOffset];
        stream.ReadExactly(rest);
        for (var start = 1; start + LogFrame.HeaderBytes <= rest.Length; start++)
        {
            var header = rest.AsSpan(start, LogFrame.HeaderBytes);
            if (header[4] != LogFrame.FormatVersion || !Enum.IsDefined((FrameKind)header[5]))
            {
                continue;
            }

            var length = BinaryPrimitives.ReadUInt32LittleEndian(header);
            if (length > rest.Length - start - LogFrame.HeaderBytes)
            {
                continue;
            }

            var payload = rest.AsSpan(start + LogFrame.HeaderBytes, (int)length);
            if ((FrameKind)header[5] == FrameKind.Batch
                && BinaryPrimitives.ReadUInt32LittleEndian(header[8..]) == LogFrame.Checksum(header[4..8], payload)
                && FirstBatchLsn(payload) > lastLsn)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The first batch's sequence number, or 0 if the payload is not a list of batches.</summary>
    private static long FirstBatchLsn(ReadOnlySpan<byte> payload)
    {
        try
        {
            return LogPayloadCodec.DecodeBatches(payload) is [var first, ..] ? first.Lsn : 0;
        }
        catch (InvalidDataException)
        {
            return 0;
        }
    }

    private static T Decode<T>(string file, long offset, Func<T> decode)
    {
        try
        {
            return decode();
        }
        catch (InvalidDataException exception)
        {
            // The checksum matched, so this is not a torn write but a bug or tampering.
            throw new LogCorruptedException(file, offset, exception.Message);
        }
    }

    /// <summary>Reads the frame at the stream's position. A Corrupt frame's payload is as long as its header claims, when that is readable.</summary>
    private static (FrameReadStatus Status, FrameKind Kind, byte[] Payload) ReadFrame(Stream stream)
    {
        Span<byte> header = stackalloc byte[LogFrame.HeaderBytes];
        var read = stream.ReadAtLeast(header, LogFrame.HeaderBytes, throwOnEndOfStream: false);
        if (read == 0)
        {
            return (FrameReadStatus.EndOfFile, 0, []);
        }

        if (read < LogFrame.HeaderBytes)
        {
            return (FrameReadStatus.Truncated, 0, []);
        }

        var length = BinaryPrimitives.ReadUInt32LittleEndian(header);
        var kind = (FrameKind)header[5];
        if (length > LogFrame.MaxPayloadBytes)
        {
            return (FrameReadStatus.Truncated, kind, []);
        }

        var payload = new byte[length];
        if (stream.ReadAtLeast(payload, payload.Length, throwOnEndOfStream: false) < payload.Length)
        {
            return (FrameReadStatus.Truncated, kind, payload);
        }

        var valid = header[4] == LogFrame.FormatVersion
            && Enum.IsDefined(kind)
            && BinaryPrimitives.ReadUInt32LittleEndian(header[8..]) == LogFrame.Checksum(header[4..8], payload);
        return (valid ? FrameReadStatus.Ok : FrameReadStatus.Corrupt, kind, payload);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Recovered the log in {Directory}: {Records} records (checkpoint at {CheckpointLsn}, {Batches} batches replayed, last batch {LastLsn})")]
    private static partial void LogRecovered(ILogger logger, string directory, int records, long checkpointLsn, long batches, long lastLsn);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cut a torn tail from {File} at offset {Offset} ({Bytes} bytes, {Status}): a write interrupted by a crash, never acknowledged")]
    private static partial void LogTornTail(ILogger logger, string file, long offset, long bytes, FrameReadStatus status);

    [LoggerMessage(Level = LogLevel.Information, Message = "Cut {Bytes} bytes of zero-filled space from {File} after its last frame (at offset {Offset}): preallocated and never written, as a segment being written leaves it when the process stops without closing it")]
    private static partial void LogPreallocatedSpaceCut(ILogger logger, string file, long offset, long bytes);

    [LoggerMessage(Level = LogLevel.Information, Message = "Checkpoint at batch {Lsn} written with {Records} records")]
    private static partial void LogCheckpointWritten(ILogger logger, long lsn, int records);
}

/// <summary>What recovery found: the live records, the last batch's sequence number, and how many log bytes the next checkpoint would cover.</summary>
internal sealed record RecoveredLog(Dictionary<string, DurableRecord> Records, long LastLsn, long BytesSinceCheckpoint);
