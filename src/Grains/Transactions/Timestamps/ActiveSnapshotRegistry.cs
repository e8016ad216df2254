namespace Roundabout.Transactions.Timestamps;

/// <summary>
/// The read timestamps of the transactions that this process has started and not yet
/// finished. The <see cref="TimestampBatcher"/> reports them to the oracle with every call.
/// </summary>
internal sealed class ActiveSnapshotRegistry
{
    private readonly Lock _lock = new();
    private readonly Dictionary<Guid, Entry> _active = [];

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _active.Count;
            }
        }
    }

    public void Register(Guid transactionId, long readTimestamp, TimeSpan timeout)
    {
        lock (_lock)
        {
            _active[transactionId] = new Entry(readTimestamp, DateTime.UtcNow + timeout + timeout);
        }
    }

    public void Unregister(Guid transactionId)
    {
        lock (_lock)
        {
            _active.Remove(transactionId);
        }
    }

    /// <summary>
    /// The read timestamps in use. Entries past twice their time-out are dropped: such a
    /// transaction can no longer commit, and a late read of it gets a clear
    /// <see cref="SnapshotTooOldException"/> rather than holding versions forever.
    /// </summary>
    public long[] Snapshot()
    {
        lock (_lock)
        {
            if (_active.Count == 0)
            {
                return [];
            }

            var now = DateTime.UtcNow;
            var result = new List<long>(_active.Count);
            List<Guid>? expired = null;
            foreach (var (id, entry) in _active)
            {
                if (now > entry.DropAfter)
                {
                    (expired ??= []).Add(id);
                    continue;
                }

                result.Add(entry.ReadTimestamp);
            }

            expired?.ForEach(id => _active.Remove(id));
            return [.. result];
        }
    }

    private readonly record struct Entry(long ReadTimestamp, DateTime DropAfter);
}
