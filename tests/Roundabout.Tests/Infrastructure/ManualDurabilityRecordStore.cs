using Roundabout.Silo.Persistence.Memory;
using Roundabout.Storage;

namespace Roundabout.Tests.Infrastructure;

/// <summary>
/// A store that accepts writes at once (ETag checks, new ETags) but makes them durable only when
/// the test says so, in acceptance order, or fails them all: a group-commit log with a slow disk.
/// With <paramref name="acceptsAtOnce"/> it also hands out ETags on acceptance, as the log does
/// (<see cref="IRecordStore.TryAccept"/>).
/// </summary>
public sealed class ManualDurabilityRecordStore(Guid? orderingDomain, bool acceptsAtOnce = false) : IRecordStore
{
    private readonly InMemoryRecordStore _accepted = new();
    private readonly Lock _lock = new();
    private Exception? _failure;
    private readonly Queue<(TaskCompletionSource<IReadOnlyList<string?>> Durable, IReadOnlyList<string?> ETags)> _pending = new();

    public Guid? OrderingDomain { get; } = orderingDomain;

    /// <summary>Batches accepted and not yet durable (or failed).</summary>
    public int PendingCount
    {
        get
        {
            lock (_lock)
            {
                return _pending.Count;
            }
        }
    }

    public Task<StoredRecord?> ReadAsync(string key, CancellationToken cancellationToken = default) => _accepted.ReadAsync(key, cancellationToken);

    public async Task<IReadOnlyList<string?>> WriteAsync(IReadOnlyList<RecordWrite> writes, CancellationToken cancellationToken = default)
    {
        // Like the log: once a flush failed, nothing more is accepted.
        if (Volatile.Read(ref _failure) is { } failure)
        {
            throw new IOException("The store failed earlier.", failure);
        }

        var etags = await _accepted.WriteAsync(writes, cancellationToken);
        return await Enqueue(etags);
    }

    public AcceptedWrites? TryAccept(IReadOnlyList<RecordWrite> writes)
    {
        if (!acceptsAtOnce)
        {
            return null;
        }

        if (Volatile.Read(ref _failure) is { } failure)
        {
            throw new IOException("The store failed earlier.", failure);
        }

        var etags = ((IRecordStore)_accepted).TryAccept(writes)!.Value.ETags;
        return new AcceptedWrites(etags, Enqueue(etags));
    }

    private Task<IReadOnlyList<string?>> Enqueue(IReadOnlyList<string?> etags)
    {
        var durable = new TaskCompletionSource<IReadOnlyList<string?>>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            _pending.Enqueue((durable, etags));
        }

        return durable.Task;
    }

    /// <summary>Makes the batches accepted so far durable, oldest first (not those their completion leads to).</summary>
    public void MakeDurable()
    {
        foreach (var (durable, etags) in TakeAll())
        {
            durable.SetResult(etags);
        }
    }

    /// <summary>Fails the batches accepted so far that are not durable yet, and every later write.</summary>
    public void Fail(Exception exception)
    {
        Volatile.Write(ref _failure, exception);
        foreach (var (durable, _) in TakeAll())
        {
            durable.SetException(exception);
        }
    }

    private List<(TaskCompletionSource<IReadOnlyList<string?>> Durable, IReadOnlyList<string?> ETags)> TakeAll()
    {
        lock (_lock)
        {
            var all = _pending.ToList();
            _pending.Clear();
            return all;
        }
    }
}
