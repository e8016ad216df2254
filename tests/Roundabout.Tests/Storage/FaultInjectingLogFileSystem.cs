using Roundabout.Silo.Persistence.FileLog;

namespace Roundabout.Tests.Storage;

/// <summary>
/// Wraps <see cref="OsLogFileSystem"/> (the real disk) and counts, holds or fails the appends and
/// syncs of log segments, so tests can strike exactly where a real disk fails. Checkpoint files
/// are counted when published (renamed into place), and faulted only by <see cref="FailCheckpointWrites"/>.
/// </summary>
internal sealed class FaultInjectingLogFileSystem : ILogFileSystem
{
    private readonly ILogFileSystem _inner;
    private readonly Lock _lock = new();
    private readonly ManualResetEventSlim _holdEntered = new();
    private readonly ManualResetEventSlim _holdReleased = new();
    private int _segmentAppends;
    private int _segmentSyncs;
    private int _segmentsOpened;
    private int _checkpointsPublished;
    private int _checkpointWritesFailed;
    private Exception? _checkpointWriteFault;
    private int _holdAppendCall;
    private int _segmentCloses;
    private FaultPlan? _closeFault;
    private FaultPlan? _appendFault;
    private FaultPlan? _syncFault;

    public FaultInjectingLogFileSystem(ILogFileSystem? inner = null) => _inner = inner ?? OsLogFileSystem.Instance;

    /// <summary>Appends to segment files so far (each one frame: one flush).</summary>
    public int SegmentAppendCalls => Volatile.Read(ref _segmentAppends);

    /// <summary>Syncs of segment files so far (each one fdatasync).</summary>
    public int SegmentSyncCalls => Volatile.Read(ref _segmentSyncs);

    /// <summary>Segment files opened for appending so far (new segments, and the tail after recovery).</summary>
    public int SegmentsOpened => Volatile.Read(ref _segmentsOpened);

    /// <summary>Checkpoints renamed into place so far.</summary>
    public int CheckpointsPublished => Volatile.Read(ref _checkpointsPublished);

    /// <summary>Runs on the writer's thread before each segment sync (to let writers pile up, for example).</summary>
    public Action? BeforeSegmentSync { get; set; }

    /// <summary>The full disk as Linux reports it: ENOSPC.</summary>
    public static IOException DiskFull() => new("No space left on device", 28);

    /// <summary>The <paramref name="nthCall"/>-th segment append (counting from 1, over the file system's life) writes <paramref name="bytesWrittenFirst"/> bytes of its frame, then throws.</summary>
    public void FailAppend(int nthCall, Exception exception, int bytesWrittenFirst = 0)
    {
        lock (_lock)
        {
            _appendFault = new FaultPlan(nthCall, exception, bytesWrittenFirst);
        }
    }

    /// <summary>The <paramref name="nthCall"/>-th segment sync (counting from 1) throws, after its frame was appended.</summary>
    public void FailSync(int nthCall, Exception exception)
    {
        lock (_lock)
        {
            _syncFault = new FaultPlan(nthCall, exception, 0);
        }
    }

    /// <summary>The <paramref name="nthCall"/>-th segment append waits, before writing, until <see cref="ReleaseHold"/>.</summary>
    public void HoldAppend(int nthCall) => Volatile.Write(ref _holdAppendCall, nthCall);

    /// <summary>Makes the <paramref name="nthCall"/>-th closing of a segment file throw (after closing it).</summary>
    public void FailClose(int nthCall, Exception exception)
    {
        lock (_lock)
        {
            _closeFault = new FaultPlan(nthCall, exception, 0);
        }
    }

    /// <summary>From now on every append to a checkpoint being written writes half its bytes, then throws (a disk filling up).</summary>
    public void FailCheckpointWrites(Exception exception) => Volatile.Write(ref _checkpointWriteFault, exception);

    /// <summary>Checkpoint appends failed by <see cref="FailCheckpointWrites"/> so far.</summary>
    public int CheckpointWritesFailed => Volatile.Read(ref _checkpointWritesFailed);

    /// <summary>Waits until the held append was reached; false if it was not within <paramref name="timeout"/>.</summary>
    public bool WaitUntilHeld(TimeSpan timeout) => _holdEntered.Wait(timeout);

    public void ReleaseHold() => _holdReleased.Set();

    public void CreateDirectory(string path) => _inner.CreateDirectory(path);

    public IReadOnlyList<string> ListFiles(string directory, string searchPattern) => _inner.ListFiles(directory, searchPattern);

    public ILogFile OpenAppend(string path, int preallocateBytes)
    {
        var file = _inner.OpenAppend(path, preallocateBytes);
        if (path.EndsWith(".ckpt.tmp", StringComparison.Ordinal) && Volatile.Read(ref _checkpointWriteFault) is not null)
        {
            return new FailingCheckpointFile(this, file);
        }

        if (!IsSegment(path))
        {
            return file;
        }

        Interlocked.Increment(ref _segmentsOpened);
        return new SegmentFile(this, file);
    }

    public Stream OpenRead(string path) => _inner.OpenRead(path);

    public long GetLength(string path) => _inner.GetLength(path);

    public void Truncate(string path, long length) => _inner.Truncate(path, length);

    public void Delete(string path) => _inner.Delete(path);

    public void Move(string source, string destination)
    {
        _inner.Move(source, destination);
        if (Path.GetFileName(destination).StartsWith("checkpoint-", StringComparison.Ordinal))
        {
            Interlocked.Increment(ref _checkpointsPublished);
        }
    }

    public void SyncDirectory(string path) => _inner.SyncDirectory(path);

    public IDisposable LockExclusively(string path) => _inner.LockExclusively(path);

    private static bool IsSegment(string path) => Path.GetFileName(path).StartsWith("segment-", StringComparison.Ordinal);

    private void OnAppend(ILogFile file, ReadOnlySpan<byte> bytes)
    {
        var call = Interlocked.Increment(ref _segmentAppends);
        if (call == Volatile.Read(ref _holdAppendCall))
        {
            _holdEntered.Set();
            if (!_holdReleased.Wait(TimeSpan.FromSeconds(30)))
            {
                throw new TimeoutException("The test never released the held append.");
            }
        }

        FaultPlan? fault;
        lock (_lock)
        {
            fault = _appendFault?.Call == call ? _appendFault : null;
        }

        if (fault is not null)
        {
            if (fault.BytesWrittenFirst > 0)
            {
                file.Append(bytes[..Math.Min(fault.BytesWrittenFirst, bytes.Length)]);
            }

            throw fault.Exception;
        }

        file.Append(bytes);
    }

    private void OnSync(ILogFile file)
    {
        var call = Interlocked.Increment(ref _segmentSyncs);
        BeforeSegmentSync?.Invoke();
        FaultPlan? fault;
        lock (_lock)
        {
            fault = _syncFault?.Call == call ? _syncFault : null;
        }

        if (fault is not null)
        {
            throw fault.Exception;
        }

        file.Sync();
    }

    private void OnClose(ILogFile file)
    {
        var call = Interlocked.Increment(ref _segmentCloses);
        file.Dispose();
        FaultPlan? fault;
        lock (_lock)
        {
            fault = _closeFault?.Call == call ? _closeFault : null;
        }

        if (fault is not null)
        {
            throw fault.Exception;
        }
    }

    private sealed record FaultPlan(int Call, Exception Exception, int BytesWrittenFirst);

    private sealed class FailingCheckpointFile(FaultInjectingLogFileSystem owner, ILogFile inner) : ILogFile
    {
        public long Length => inner.Length;

        public void Append(ReadOnlySpan<byte> bytes)
        {
            inner.Append(bytes[..(bytes.Length / 2)]);
            Interlocked.Increment(ref owner._checkpointWritesFailed);
            throw Volatile.Read(ref owner._checkpointWriteFault)!;
        }

        public void Sync() => inner.Sync();

        public void Dispose() => inner.Dispose();
    }

    private sealed class SegmentFile(FaultInjectingLogFileSystem owner, ILogFile inner) : ILogFile
    {
        public long Length => inner.Length;

        public void Append(ReadOnlySpan<byte> bytes) => owner.OnAppend(inner, bytes);

        public void Sync() => owner.OnSync(inner);

        public void Dispose() => owner.OnClose(inner);
    }
}
