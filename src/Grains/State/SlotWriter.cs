using Roundabout.Storage;

namespace Roundabout.State;

/// <summary>
/// Writes one slot's durable record, in order. Each write captures the slot's state when its
/// turn comes (not when it was asked for), so a waiter always gets a write that contains its
/// change or a later state that includes it, and writes queued behind a running one coalesce.
/// After a failed write (whose outcome is unknown) it writes no more and tells its owner once,
/// through <paramref name="onFailure"/>, so that the slot can reload the truth from storage.
/// </summary>
internal sealed class SlotWriter(IRecordStore store, string key, Func<byte[]> capture, Action<Exception> onFailure)
{
    private Task _last = Task.CompletedTask;
    private QueuedWrite? _queued;
    private volatile bool _stopped;
    private bool _acceptsAtOnce = true;
    private readonly TaskCompletionSource _failed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string Key => key;

    public string? ETag { get; set; }

    /// <summary>Set after a write failed: no further write is attempted (the slot reloads instead).</summary>
    public Exception? Failure { get; private set; }

    /// <summary>
    /// Completes when <see cref="Failure"/> is set: for a wait that only a reload can end (a
    /// reader waiting for a commit whose write failed), so that it leaves instead.
    /// </summary>
    public Task Failed => _failed.Task;

    /// <summary>
    /// For writes whose waiter cannot do anything about a failure (installs, aborts): the failure
    /// has already been handed to the owner, and recovery settles what the write would have recorded.
    /// </summary>
    public async Task WriteQuietlyAsync()
    {
        try
        {
            await WriteAsync();
        }
        catch (Exception)
        {
        }
    }

    /// <summary>
    /// Completes when the newest write asked for so far is durable (at once if there is none), and
    /// throws if it failed (every write after a failure fails too): for a caller that must know an
    /// earlier change is durable, without a write of its own.
    /// </summary>
    public Task LastWriteAsync() => _last;

    public Task WriteAsync() => Queue().Completion;

    /// <summary>
    /// The activation has stopped: a write that has not been handed to the store yet (one queued
    /// behind a write in flight, for a settle that a timer started) is refused from now on. The
    /// next activation loads the record as it stands once the writes handed over are accepted, and
    /// settles from there; a write of this activation after that would change the record under it
    /// (refused by ETag, which stops the next activation too). Writes already handed over are
    /// accepted before the next activation can read.
    /// </summary>
    public void Stop() => _stopped = true;

    /// <summary>
    /// For a change that must be durable whenever a later write is: a prepare before its decision
    /// record, an install before the decision record's removal. When this slot's store and the
    /// later write's store share the ordering domain <paramref name="laterWriteOrdering"/> (see
    /// <see cref="IRecordStore.OrderingDomain"/>), completes as soon as the store has accepted a
    /// write carrying the change: usually at once, without leaving the grain's turn. Otherwise
    /// like <see cref="WriteAsync"/>. Throws if the store refused the write; a failure after
    /// acceptance still reaches the slot's owner, like any failed write, and fails the later write too.
    /// </summary>
    public Task WriteBeforeAsync(Guid? laterWriteOrdering)
    {
        var write = Queue();
        return laterWriteOrdering is { } ordering && store.OrderingDomain == ordering ? write.Accepted : write.Completion;
    }

    private QueuedWrite Queue()
    {
        // A write that is queued but has not captured the state yet will carry this change too.
        if (_queued is { Captured: false } queued)
        {
            return queued;
        }

        var write = new QueuedWrite();
        _queued = write;
        // With nothing in flight, the write goes now; otherwise it waits its turn, and the changes
        // made meanwhile join it (one write for many changes of a busy slot).
        write.Completion = _last.IsCompletedSuccessfully ? WriteNow(write) : WriteAfterAsync(_last, write);
        _last = write.Completion;
        return write;
    }

    private async Task WriteAfterAsync(Task previous, QueuedWrite write)
    {
        try
        {
            await previous;
        }
        catch
        {
            // The earlier write's waiter handles its failure; this write reports its own.
        }

        await WriteNow(write);
    }

    /// <summary>
    /// Captures the slot and hands the write to the store; the task completes when it is durable.
    /// A store that fixes ETags on acceptance (<see cref="IRecordStore.TryAccept"/>) is not waited
    /// for here at all: the task is the store's own, and the next write can go before it completes.
    /// </summary>
    private Task WriteNow(QueuedWrite write)
    {
        // From here on, later changes need a write of their own.
        write.Captured = true;
        if (_stopped)
        {
            var stopped = new InvalidOperationException($"{key}: the activation has stopped; its next activation settles from the stored record.");
            write.SetAccepted(stopped);
            return Task.FromException(stopped);
        }

        if (Failure is { } failure)
        {
            var refused = new InvalidOperationException($"{key}: no further writes after a storage failure.", failure);
            write.SetAccepted(refused);
            return Task.FromException(refused);
        }

        RecordWrite[] writes;
        try
        {
            writes = [RecordWrite.Put(key, capture(), ETag)];
        }
        catch (Exception exception)
        {
            // The slot cannot say what to store: as for a failed write, it reloads what was stored.
            write.SetAccepted(exception);
            ReportFailure(exception);
            return Task.FromException(exception);
        }

        if (_acceptsAtOnce)
        {
            AcceptedWrites? accepted;
            try
            {
                accepted = store.TryAccept(writes);
            }
            catch (Exception exception)
            {
                write.SetAccepted(exception);
                ReportFailure(exception);
                return Task.FromException(exception);
            }

            if (accepted is { } sequenced)
            {
                write.SetAccepted(null);
                ETag = sequenced.ETags[0];
                WatchForFailure(sequenced.Durable);
                return sequenced.Durable;
            }

            _acceptsAtOnce = false;
        }

        return WriteAndWaitAsync(write, writes);
    }

    private async Task WriteAndWaitAsync(QueuedWrite write, RecordWrite[] writes)
    {
        try
        {
            // The batch form directly: the one-write helper would add a state machine to every slot write.
            var durable = store.WriteAsync(writes);
            write.SetAccepted(RefusalOf(durable));
            ETag = (await durable)[0];
        }
        catch (Exception exception)
        {
            write.SetAccepted(exception); // refused at once (a store that throws instead of faulting its task)
            ReportFailure(exception);
            throw;
        }
    }

    /// <summary>
    /// An accepted write that then fails to become durable still stops this writer and reaches the
    /// owner, on the scheduler the write was queued from (the grain's), as a failed wait would.
    /// </summary>
    private void WatchForFailure(Task durable)
    {
        // One look at the status: the flush completes the task on another thread, so asking
        // "succeeded?" and then "completed?" could see a success as a completed failure.
        var status = durable.Status;
        if (status == TaskStatus.RanToCompletion)
        {
            return;
        }

        if (status is TaskStatus.Faulted or TaskStatus.Canceled)
        {
            ReportFailure(FailureOf(durable));
            return;
        }

        durable.ContinueWith(
            static (task, state) => ((SlotWriter)state!).ReportFailure(FailureOf(task)),
            this,
            CancellationToken.None,
            TaskContinuationOptions.NotOnRanToCompletion,
            TaskScheduler.Current);
    }

    private void ReportFailure(Exception exception)
    {
        if (Failure is null)
        {
            Failure = exception;
            _failed.TrySetResult();
            onFailure(exception);
        }
    }

    private static Exception FailureOf(Task task) =>
        task.Exception?.InnerException ?? task.Exception ?? (Exception)new OperationCanceledException("The store cancelled the write.");

    /// <summary>Why the store refused a write it was just handed, or null if it accepted it (a faulted or cancelled task counts as refused).</summary>
    private Exception? RefusalOf(Task durable) =>
        durable.IsFaulted ? durable.Exception.InnerException ?? durable.Exception
        : durable.IsCanceled ? new OperationCanceledException($"{key}: the store cancelled the write.")
        : null;

    /// <summary>A write, whether it has taken its picture of the slot yet, and whether the store accepted it.</summary>
    private sealed class QueuedWrite
    {
        private bool _handedOver;
        private Exception? _refusal;
        private TaskCompletionSource? _acceptedWaiters;

        public bool Captured { get; set; }

        public Task Completion { get; set; } = Task.CompletedTask;

        /// <summary>Completes when the store has accepted the write; faults if it refused it.</summary>
        public Task Accepted
        {
            get
            {
                if (_handedOver)
                {
                    return _refusal is null ? Task.CompletedTask : Task.FromException(_refusal);
                }

                // Only a write queued behind one still in flight gets here: the others are handed
                // over before the caller sees them.
                return (_acceptedWaiters ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
            }
        }

        /// <summary>Records the store's answer to the hand-over (once: later calls are ignored).</summary>
        public void SetAccepted(Exception? refusal)
        {
            if (_handedOver)
            {
                return;
            }

            (_handedOver, _refusal) = (true, refusal);
            if (refusal is null)
            {
                _acceptedWaiters?.TrySetResult();
            }
            else
            {
                _acceptedWaiters?.TrySetException(refusal);
            }
        }
    }
}
