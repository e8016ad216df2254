using Roundabout.Silo.Persistence.Memory;
using Roundabout.Storage;

namespace Roundabout.Tests.Infrastructure;

/// <summary>
/// A store that accepts writes at once (ETag checks, new ETags) but makes them durable only when
/// the test says so, in acceptance order, or fails them all: a group-commit log with a slow disk.
/// </summary>
public sealed class ManualDurabilityRecordStore(Guid? orderingDomain) : IRecordStore
{
    private readonly InMemoryRecordStore _accepted = new();
    private readonly Queue<(TaskCompletionSource<IReadOnlyList<string?>> Durable, IReadOnlyList<string?> ETags)> _pending = new();

    public Guid? OrderingDomain { get; } = orderingDomain;

    /// <summary>Batches accepted and not yet durable (or failed).</summary>
    public int PendingCount => _pending.Count;

    public Task<StoredRecord?> ReadAsync(string key, CancellationToken cancellationToken = default) => _accepted.ReadAsync(key, cancellationToken);

    public async Task<IReadOnlyList<string?>> WriteAsync(IReadOnlyList<RecordWrite> writes, CancellationToken cancellationToken = default)
    {
        var etags = await _accepted.WriteAsync(writes, cancellationToken);
        var durable = new TaskCompletionSource<IReadOnlyList<string?>>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending.Enqueue((durable, etags));
        return await durable.Task;
    }

    /// <summary>Makes every accepted batch durable, oldest first.</summary>
    public void MakeDurable()
    {
        while (_pending.TryDequeue(out var pending))
        {
            pending.Durable.SetResult(pending.ETags);
        }
    }

    /// <summary>Fails every accepted batch that is not durable yet.</summary>
    public void Fail(Exception exception)
    {
        while (_pending.TryDequeue(out var pending))
        {
            pending.Durable.SetException(exception);
        }
    }
}
