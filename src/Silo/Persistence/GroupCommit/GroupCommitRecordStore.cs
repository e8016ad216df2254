using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Storage;
using Roundabout.Silo.Persistence.FileLog;
using Roundabout.Storage;

namespace Roundabout.Silo.Persistence.GroupCommit;

/// <summary>
/// The embedded record store: an in-memory index over an append-only, fsync'd log, written
/// by one writer loop that makes a whole batch of concurrent writes durable with one fsync.
/// </summary>
/// <remarks>
/// How a write goes:
/// 1. <see cref="WriteAsync"/> checks the ETags against the accepted state (which includes
///    writes still waiting for their flush), gives the batch the next sequence number (its
///    ETag), records it as accepted and queues it, all under one lock, so the log order is
///    the sequence order.
/// 2. The writer loop takes everything queued (within the batch limits), writes it as one
///    frame, fdatasyncs once, and only then completes the writers' tasks, outside any lock.
/// 3. In <see cref="DurabilityMode.Strict"/> the caller waits for step 2; in
///    <see cref="DurabilityMode.Buffered"/> it returns after step 1.
/// In Strict mode a read of a key whose newest write is still in flight waits for that write's
/// flush, so no reader ever sees (and acts on) a value that a crash could take back. Buffered
/// mode gives that up with the rest: a read returns the newest accepted value at once.
/// If a write or fsync fails, every waiting and later writer gets the failure: the store does
/// not go on over a log it cannot trust. A restart recovers from what is durable.
/// </remarks>
public sealed partial class GroupCommitRecordStore : IRecordStore, IAsyncDisposable
{
    private readonly GroupCommitOptions _options;
    private readonly FileRecordLog _log;
    private readonly ILogger _logger;
    private readonly StorageMetrics _metrics;
    private readonly StorageMetrics? _ownedMetrics;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, AcceptedRecord> _accepted = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DurableRecord> _durable;
    private readonly Channel<PendingBatch> _queue = Channel.CreateUnbounded<PendingBatch>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _writer;
    private long _lastAcceptedLsn;
    private long _lastFlushedLsn;
    private long _bytesSinceCheckpoint;
    private Task _checkpoint = Task.CompletedTask;
    private Exception? _failure;
    private bool _disposed;
    private int _queueDepth;

    public GroupCommitRecordStore(IOptions<GroupCommitOptions> options, ILogger<GroupCommitRecordStore> logger, ILogFileSystem? files = null, StorageMetrics? metrics = null)
    {
        _options = options.Value;
        var validation = new GroupCommitOptionsValidator().Validate(null, _options);
        if (validation.Failed)
        {
            throw new OptionsValidationException(nameof(GroupCommitOptions), typeof(GroupCommitOptions), validation.Failures);
        }

        _logger = logger;
        // Metrics made here are the store's own and go with it: a meter stays registered (and
        // its gauge keeps the store reachable) until it is disposed.
        _ownedMetrics = metrics is null ? new StorageMetrics(null) : null;
        _metrics = metrics ?? _ownedMetrics!;
        _log = new FileRecordLog(_options.DataDirectory, files ?? OsLogFileSystem.Instance, _options.SegmentBytes, _options.PreallocateBytes, logger);
        var recovered = _log.Recover();
        _durable = recovered.Records;
        _lastAcceptedLsn = recovered.LastLsn;
        _lastFlushedLsn = recovered.LastLsn;
        _bytesSinceCheckpoint = recovered.BytesSinceCheckpoint;
        foreach (var (key, record) in _durable)
        {
            _accepted[key] = new AcceptedRecord(record.Value, record.Lsn, Task.CompletedTask);
        }

        _metrics.ObserveQueueDepth(() => Volatile.Read(ref _queueDepth));
        // The writer blocks in fdatasync: on a thread of its own, so that it never holds one of the
        // few thread-pool threads a small machine has while the disk works.
        _writer = Task.Factory.StartNew(WriterLoop, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    /// <summary>
    /// Batches are sequenced when accepted, flushed in sequence order, and a failed write or fsync
    /// fails every batch after it: a batch is never durable unless every batch accepted before it is.
    /// </summary>
    public Guid? OrderingDomain { get; } = Guid.NewGuid();

    /// <summary>The directory the log lives in.</summary>
    public string DataDirectory => _log.Directory;

    /// <summary>How many live records the store holds.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _accepted.Count(entry => entry.Value.Value is not null);
            }
        }
    }

    public async Task<StoredRecord?> ReadAsync(string key, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        AcceptedRecord? record;
        lock (_lock)
        {
            _accepted.TryGetValue(key, out record);
        }

        if (record is null)
        {
            return null;
        }

        await record.Durable.WaitAsync(cancellationToken);
        return record.Value is null ? null : new StoredRecord(record.Value, FormatETag(record.Lsn));
    }

    public Task<IReadOnlyList<string?>> WriteAsync(IReadOnlyList<RecordWrite> writes, CancellationToken cancellationToken = default)
    {
        // Not an async method: in Strict mode the caller awaits the flush's own task, whose result
        // (the ETags) is known when the batch is accepted. One state machine and one continuation
        // less on every durable write of the protocol. Failures still come back in the task.
        try
        {
            var durable = Acknowledgement(Accept(writes));
            return durable.IsCompleted || !cancellationToken.CanBeCanceled ? durable : durable.WaitAsync(cancellationToken);
        }
        catch (Exception exception)
        {
            return Task.FromException<IReadOnlyList<string?>>(exception);
        }
    }

    /// <summary>The ETags are the batch's sequence number, known as soon as it is accepted.</summary>
    public AcceptedWrites? TryAccept(IReadOnlyList<RecordWrite> writes)
    {
        var pending = Accept(writes);
        return new AcceptedWrites(pending.ETags, Acknowledgement(pending));
    }

    /// <summary>What a writer waits for: the flush in Strict mode, nothing more in Buffered mode.</summary>
    private Task<IReadOnlyList<string?>> Acknowledgement(PendingBatch pending) =>
        _options.Durability == DurabilityMode.Strict ? pending.Durable.Task : Task.FromResult(pending.ETags);

    /// <summary>Validates, sequences and queues a batch (throws if it is refused).</summary>
    private PendingBatch Accept(IReadOnlyList<RecordWrite> writes)
    {
        RecordBatch.ThrowIfInvalid(writes);

        var logged = new LoggedWrite[writes.Count];
        for (var i = 0; i < writes.Count; i++)
        {
            var write = writes[i];
            ValidateKey(write.Key);
            if (write.Value is { Length: var length } && length > _options.MaxRecordBytes)
            {
                throw new ArgumentException($"The value for '{write.Key}' is {length} bytes; the store takes at most {_options.MaxRecordBytes}.", nameof(writes));
            }

            logged[i] = new LoggedWrite(write.Key, write.Value?.ToArray());
        }

        var batch = new LoggedBatch(0, logged);
        var bytes = LogPayloadCodec.MeasureBatch(batch);
        if (bytes > MaxBatchPayloadBytes)
        {
            throw new ArgumentException($"The write batch is {bytes} bytes; one batch may hold at most {MaxBatchPayloadBytes} bytes. Split it.", nameof(writes));
        }

        PendingBatch pending;
        lock (_lock)
        {
            if (_failure is { } failure)
            {
                throw new StoreFailedException(DataDirectory, failure);
            }

            ObjectDisposedException.ThrowIf(_disposed, this);

            foreach (var write in writes)
            {
                _accepted.TryGetValue(write.Key, out var current);
                var currentETag = current?.Value is null ? null : FormatETag(current.Lsn);
                if (currentETag != write.ExpectedETag)
                {
                    throw new InconsistentStateException(
                        $"Record '{write.Key}' was changed by another writer.", currentETag ?? "(none)", write.ExpectedETag ?? "(none)");
                }
            }

            batch = batch with { Lsn = ++_lastAcceptedLsn };
            pending = new PendingBatch(batch, bytes, ETagsOf(logged, batch.Lsn));
            foreach (var write in logged)
            {
                _accepted[write.Key] = new AcceptedRecord(write.Value, batch.Lsn, _options.Durability == DurabilityMode.Strict ? pending.Durable.Task : Task.CompletedTask);
            }

            Interlocked.Increment(ref _queueDepth);
            _queue.Writer.TryWrite(pending); // unbounded and completed only under this lock: cannot fail
        }

        return pending;
    }

    private static IReadOnlyList<string?> ETagsOf(LoggedWrite[] logged, long lsn)
    {
        var etag = FormatETag(lsn);
        var etags = new string?[logged.Length];
        for (var i = 0; i < logged.Length; i++)
        {
            etags[i] = logged[i].Value is null ? null : etag;
        }

        return etags;
    }

    /// <summary>Waits until everything accepted so far is durable (for Buffered mode, and for shutdown).</summary>
    public Task FlushAsync()
    {
        var barrier = new PendingBatch(null, 0, []);
        lock (_lock)
        {
            if (_failure is { } failure)
            {
                return Task.FromException(new StoreFailedException(DataDirectory, failure));
            }

            if (_disposed)
            {
                return Task.FromException(new ObjectDisposedException(nameof(GroupCommitRecordStore)));
            }

            Interlocked.Increment(ref _queueDepth);
            _queue.Writer.TryWrite(barrier);
        }

        return barrier.Durable.Task;
    }

    public async ValueTask DisposeAsync()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _queue.Writer.TryComplete();
        }

        await _writer;
        await _checkpoint;
        _log.Dispose();
        _ownedMetrics?.Dispose();
    }

    private void WriterLoop()
    {
        var batch = new List<PendingBatch>();
        try
        {
            RunWriterLoop(batch);
        }
        catch (Exception exception)
        {
            // A fault in the loop itself, outside a flush: fail the store, as for a failed flush,
            // rather than leave every writer waiting for an acknowledgement that never comes.
            Fail(exception, batch);
        }
    }

    private void RunWriterLoop(List<PendingBatch> batch)
    {
        var reader = _queue.Reader;
        var payload = new ArrayBufferWriter<byte>(64 * 1024);
        while (reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
        {
            batch.Clear();
            if (_options.MaxWait > TimeSpan.Zero)
            {
                // Let more writers join this flush, up to the wait or a full batch. The queue's
                // own count is not available (a single-reader channel does not keep one).
                var deadline = Stopwatch.GetTimestamp() + (long)(_options.MaxWait.TotalSeconds * Stopwatch.Frequency);
                while (Volatile.Read(ref _queueDepth) < _options.MaxBatchRequests && Stopwatch.GetTimestamp() < deadline)
                {
                    Thread.Sleep(1);
                }
            }

            var bytes = 0;
            var limit = _options.DisableGroupCommit ? 1 : _options.MaxBatchRequests;
            while (batch.Count < limit && reader.TryPeek(out var next)
                   && (batch.Count == 0 || (bytes + next.Bytes <= _options.MaxBatchBytes && bytes + next.Bytes <= MaxBatchPayloadBytes))
                   && reader.TryRead(out var pending))
            {
                batch.Add(pending);
                bytes += pending.Bytes;
            }

            Interlocked.Add(ref _queueDepth, -batch.Count);
            try
            {
                Flush(batch, payload);
            }
            catch (Exception exception)
            {
                Fail(exception, batch);
                return;
            }

            // Checkpoint before acknowledging: a failure then stops the store before any caller of
            // this batch can send another write, so that write is refused for the failure rather
            // than caught in the queue.
            Exception? checkpointFailure = null;
            try
            {
                MaybeCheckpoint();
            }
            catch (Exception exception)
            {
                // Closing the segment failed: what it holds may not be whole, so stop as for a
                // failed flush. This batch was synced before the roll, so it is still acknowledged.
                checkpointFailure = exception;
                Fail(exception, []);
            }

            foreach (var pending in batch)
            {
                pending.Durable.TrySetResult(pending.ETags);
            }

            if (checkpointFailure is not null)
            {
                return;
            }
        }
    }

    private void Flush(List<PendingBatch> batch, ArrayBufferWriter<byte> payload)
    {
        var batches = batch.Where(p => p.Batch is not null).Select(p => p.Batch!).ToList();
        if (batches.Count == 0)
        {
            return; // only flush barriers: everything before them is already durable
        }

        payload.ResetWrittenCount();
        LogPayloadCodec.EncodeBatches(payload, batches);
        var frame = LogFrame.Build(FrameKind.Batch, payload.WrittenSpan);
        _log.Append(frame, batches[0].Lsn);
        var started = Stopwatch.GetTimestamp();
        _log.Sync();
        _metrics.RecordFlush(batches.Count, frame.Length, Stopwatch.GetElapsedTime(started));

        foreach (var logged in batches)
        {
            foreach (var write in logged.Writes)
            {
                if (write.Value is { } value)
                {
                    _durable[write.Key] = new DurableRecord(value, logged.Lsn);
                }
                else
                {
                    _durable.Remove(write.Key);
                    ForgetDurableDeletion(write.Key, logged.Lsn);
                }
            }
        }

        _lastFlushedLsn = batches[^1].Lsn;
        _bytesSinceCheckpoint += frame.Length;
    }

    /// <summary>A deletion is kept as a tombstone until it is durable, so reads wait for it; then it goes.</summary>
    private void ForgetDurableDeletion(string key, long lsn)
    {
        lock (_lock)
        {
            if (_accepted.TryGetValue(key, out var current) && current.Value is null && current.Lsn == lsn)
            {
                _accepted.Remove(key);
            }
        }
    }

    private void MaybeCheckpoint()
    {
        if (_bytesSinceCheckpoint < _options.CheckpointBytes || !_checkpoint.IsCompleted)
        {
            return;
        }

        // Everything up to the last flushed batch is in _durable and in segments that the roll
        // closes; the checkpoint covers exactly them, so they can go once it is durable.
        var lsn = _lastFlushedLsn;
        _log.Roll();
        _bytesSinceCheckpoint = 0;
        var snapshot = _durable.ToArray();
        _checkpoint = Task.Run(() =>
        {
            try
            {
                _log.WriteCheckpoint(lsn, snapshot);
            }
            catch (Exception exception)
            {
                // The segments are all still there, so nothing is lost; recovery just takes longer.
                LogCheckpointFailed(_logger, exception, lsn);
            }
        });
    }

    private void Fail(Exception exception, List<PendingBatch> batch)
    {
        var failure = DiskFullException.IsDiskFull(exception) ? new DiskFullException(DataDirectory, exception) : exception;
        lock (_lock)
        {
            _failure = failure;
            _queue.Writer.TryComplete();
        }

        LogStoreFailed(_logger, failure, DataDirectory);
        foreach (var pending in batch)
        {
            pending.Durable.TrySetException(failure);
        }

        // The batch in hand was taken off the gauge when the loop took it; these leave the queue
        // only now. Nothing is queued after them (the queue is complete), so the gauge ends at zero.
        while (_queue.Reader.TryRead(out var queued))
        {
            Interlocked.Decrement(ref _queueDepth);
            queued.Durable.TrySetException(failure);
        }
    }

    /// <summary>One write batch, and one flush, stays well inside the largest frame the log reads back.</summary>
    internal const int MaxBatchPayloadBytes = LogFrame.MaxPayloadBytes / 4;

    private static readonly System.Text.UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Keys are stored as UTF-8: one that UTF-8 cannot carry (a lone surrogate) would come back as another key.</summary>
    private static void ValidateKey(string key)
    {
        try
        {
            _ = StrictUtf8.GetByteCount(key);
        }
        catch (System.Text.EncoderFallbackException exception)
        {
            throw new ArgumentException($"The key '{key}' is not valid Unicode (it has an unpaired surrogate).", nameof(key), exception);
        }
    }

    private static string FormatETag(long lsn) => lsn.ToString(CultureInfo.InvariantCulture);

    private sealed record AcceptedRecord(byte[]? Value, long Lsn, Task Durable);

    /// <summary>A write batch (or, with no batch, a flush barrier) waiting for the writer loop.</summary>
    private sealed class PendingBatch(LoggedBatch? batch, int bytes, IReadOnlyList<string?> etags)
    {
        public LoggedBatch? Batch { get; } = batch;

        public int Bytes { get; } = bytes;

        /// <summary>What the writer's task completes with: the batch's ETags, known from its sequence number.</summary>
        public IReadOnlyList<string?> ETags { get; } = etags;

        public TaskCompletionSource<IReadOnlyList<string?>> Durable { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    [LoggerMessage(Level = LogLevel.Critical, Message = "The log in {Directory} failed; no further writes are accepted until the silo restarts")]
    private static partial void LogStoreFailed(ILogger logger, Exception exception, string directory);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Checkpoint at batch {Lsn} failed; the log keeps its segments")]
    private static partial void LogCheckpointFailed(ILogger logger, Exception exception, long lsn);
}
