using System.Collections.Concurrent;
using Roundabout.Storage;

namespace Roundabout.Tests.Infrastructure;

/// <summary>
/// Passes everything through and remembers the keys of every write batch, in order. A store that
/// accepts writes at once (<see cref="IRecordStore.TryAccept"/>) still does, as the embedded log
/// does, so that writers take the same path as on it.
/// </summary>
public sealed class RecordingRecordStore(IRecordStore inner) : IRecordStore
{
    private readonly ConcurrentQueue<string[]> _batches = new();

    public IReadOnlyList<string[]> Batches => [.. _batches];

    public Guid? OrderingDomain => inner.OrderingDomain;

    public AcceptedWrites? TryAccept(IReadOnlyList<RecordWrite> writes)
    {
        var accepted = inner.TryAccept(writes);
        if (accepted is not null)
        {
            _batches.Enqueue(writes.Select(w => w.Key).ToArray());
        }

        return accepted;
    }

    public Task<StoredRecord?> ReadAsync(string key, CancellationToken cancellationToken = default) => inner.ReadAsync(key, cancellationToken);

    public Task<IReadOnlyList<string?>> WriteAsync(IReadOnlyList<RecordWrite> writes, CancellationToken cancellationToken = default)
    {
        _batches.Enqueue(writes.Select(w => w.Key).ToArray());
        return inner.WriteAsync(writes, cancellationToken);
    }
}
