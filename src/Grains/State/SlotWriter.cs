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

    public string Key => key;

    public string? ETag { get; set; }

    /// <summary>Set after a write failed: no further write is attempted (the slot reloads instead).</summary>
    public Exception? Failure { get; private set; }

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

    public Task WriteAsync()
    {
        // A write that is queued but has not captured the state yet will carry this change too.
        if (_queued is { Captured: false } queued)
        {
            return queued.Completion;
        }

        var write = new QueuedWrite();
        _queued = write;
        write.Completion = WriteAfterAsync(_last, write);
        _last = write.Completion;
        return write.Completion;
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

        // From here on, later changes need a write of their own.
        write.Captured = true;
        if (Failure is { } failure)
        {
            throw new InvalidOperationException($"{key}: no further writes after a storage failure.", failure);
        }

        try
        {
            // The batch form directly: the one-write helper would add a state machine to every slot write.
            ETag = (await store.WriteAsync([RecordWrite.Put(key, capture(), ETag)]))[0];
        }
        catch (Exception exception)
        {
            if (Failure is null)
            {
                Failure = exception;
                onFailure(exception);
            }

            throw;
        }
    }

    /// <summary>A write and whether it has taken its picture of the slot yet.</summary>
    private sealed class QueuedWrite
    {
        public bool Captured { get; set; }

        public Task Completion { get; set; } = Task.CompletedTask;
    }
}
