using System.Collections.Concurrent;
using Roundabout.Storage;

namespace Roundabout.Tests.Infrastructure;

/// <summary>Passes everything through and remembers the keys of every write batch, in order.</summary>
public sealed class RecordingRecordStore(IRecordStore inner) : IRecordStore
{
    private readonly ConcurrentQueue<string[]> _batches = new();

    public IReadOnlyList<string[]> Batches => [.. _batches];

    public Task<StoredRecord?> ReadAsync(string key, CancellationToken cancellationToken = default) => inner.ReadAsync(key, cancellationToken);

    public Task<IReadOnlyList<string?>> WriteAsync(IReadOnlyList<RecordWrite> writes, CancellationToken cancellationToken = default)
    {
        _batches.Enqueue(writes.Select(w => w.Key).ToArray());
        return inner.WriteAsync(writes, cancellationToken);
    }
}
