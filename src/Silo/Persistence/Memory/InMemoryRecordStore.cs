using Orleans.Storage;
using Roundabout.Storage;

namespace Roundabout.Silo.Persistence.Memory;

/// <summary>
/// A record store that lives in this process. One instance may be shared by every silo of
/// a test cluster, as a database would be, so that a killed silo loses nothing it acknowledged.
/// Nothing survives the process.
/// </summary>
public sealed class InMemoryRecordStore : IRecordStore
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, StoredRecord> _records = new(StringComparer.Ordinal);
    private long _nextETag;

    /// <summary>A write is in place when it returns, so this store's writes are in acceptance order.</summary>
    public Guid? OrderingDomain { get; } = Guid.NewGuid();

    /// <summary>How many records the store holds (for tests that check clean-up).</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _records.Count;
            }
        }
    }

    /// <summary>The keys that start with <paramref name="prefix"/> (for tests and diagnostics).</summary>
    public IReadOnlyList<string> KeysWithPrefix(string prefix)
    {
        lock (_lock)
        {
            return _records.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)).ToList();
        }
    }

    public Task<StoredRecord?> ReadAsync(string key, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        lock (_lock)
        {
            return Task.FromResult(_records.TryGetValue(key, out var record) ? record : null);
        }
    }

    public Task<IReadOnlyList<string?>> WriteAsync(IReadOnlyList<RecordWrite> writes, CancellationToken cancellationToken = default)
    {
        try
        {
            return Task.FromResult(Write(writes));
        }
        catch (Exception exception)
        {
            return Task.FromException<IReadOnlyList<string?>>(exception);
        }
    }

    /// <summary>A write is in place (and as durable as it gets) when it returns.</summary>
    public AcceptedWrites? TryAccept(IReadOnlyList<RecordWrite> writes) => new AcceptedWrites(Write(writes), Task.CompletedTask);

    private IReadOnlyList<string?> Write(IReadOnlyList<RecordWrite> writes)
    {
        RecordBatch.ThrowIfInvalid(writes);
        lock (_lock)
        {
            foreach (var write in writes)
            {
                _records.TryGetValue(write.Key, out var current);
                if (current?.ETag != write.ExpectedETag)
                {
                    throw new InconsistentStateException(
                        $"Record '{write.Key}' was changed by another writer.", current?.ETag ?? "(none)", write.ExpectedETag ?? "(none)");
                }
            }

            var etags = new string?[writes.Count];
            for (var i = 0; i < writes.Count; i++)
            {
                var write = writes[i];
                if (write.Value is { } value)
                {
                    var etag = (++_nextETag).ToString(System.Globalization.CultureInfo.InvariantCulture);
                    _records[write.Key] = new StoredRecord(value.ToArray(), etag);
                    etags[i] = etag;
                }
                else
                {
                    _records.Remove(write.Key);
                }
            }

            return etags;
        }
    }
}
