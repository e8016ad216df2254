using System.Collections.Concurrent;
using Roundabout.Transactions.Timestamps;

namespace Roundabout.State;

/// <summary>
/// One per silo: the older committed versions of states whose activation stopped while running
/// snapshots might still read them, kept for the state's next activation on this silo.
/// </summary>
/// <remarks>
/// Older versions live only in memory. Without this, a snapshot that began before a grain was
/// deactivated (<c>DeactivateOnIdle</c>, a silo's activation limit) and read it afterwards met an
/// activation that had loaded only the newest version, and failed with
/// <see cref="Transactions.SnapshotTooOldException"/> whenever a version had been committed after
/// the snapshot began: a read-only transaction aborted. The next activation takes the versions
/// over only when the record it loads is the very record (by ETag) that the stopped activation
/// had last written, and that record's committed version is their newest, so they are the state's
/// history up to what it loads.
/// A migration carries the versions in Orleans' migration context instead (<see cref="VersionHandover{T}"/>);
/// an activation that is simply placed on another silo starts with the newest version only.
/// </remarks>
internal sealed class RetiredVersions(ITimestampSource timestamps)
{
    /// <summary>Above this many entries, retiring first drops the entries no snapshot can need any more.</summary>
    internal const int SweepAbove = 1_024;

    /// <summary>The most entries kept; past it the oldest retirements go first (a snapshot then meets "too old" again).</summary>
    internal const int MaxEntries = 65_536;

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private long _retirements;

    /// <summary>How many states' versions are held (for tests).</summary>
    internal int Count => _entries.Count;

    /// <summary>
    /// Keeps <paramref name="chain"/>'s versions for the next activation of the state stored at
    /// <paramref name="key"/>, whose last write left the record at <paramref name="etag"/>. The next
    /// activation uses them only if that record's committed version is the chain's newest.
    /// </summary>
    public void Retire<T>(string key, string etag, VersionChain<T> chain)
    {
        ArgumentNullException.ThrowIfNull(chain);
        var horizon = timestamps.Horizon;
        if (_entries.Count >= SweepAbove)
        {
            Sweep(horizon);
        }

        var versions = StillObservable(chain, horizon);
        if (versions.Length < 2)
        {
            return; // only the newest version (always observable), which the record holds anyway
        }

        // A copy: the stopped activation's own chain is never touched from here.
        _entries[key] = new Entry(etag, versions, now => versions.Count(version => version.IsObservable(now)) > 1, Interlocked.Increment(ref _retirements));
    }

    /// <summary>The versions of <paramref name="chain"/> that a running or future snapshot may read, oldest first (the newest always).</summary>
    public CommittedVersion<T>[] StillObservable<T>(VersionChain<T> chain) => StillObservable(chain, timestamps.Horizon);

    private static CommittedVersion<T>[] StillObservable<T>(VersionChain<T> chain, SnapshotHorizon horizon) =>
        [.. chain.Versions.Where(version => version.IsObservable(horizon))];

    /// <summary>
    /// The versions retired for the state at <paramref name="key"/>, oldest first, if its record is
    /// still the one they were retired with (<paramref name="etag"/>); they are handed over once.
    /// </summary>
    public IReadOnlyList<CommittedVersion<T>>? TakeOver<T>(string key, string etag) =>
        _entries.TryRemove(key, out var entry) && entry.ETag == etag && entry.Versions is CommittedVersion<T>[] versions
            ? versions
            : null;

    /// <summary>Drops what was retired for the state at <paramref name="key"/> (its versions went elsewhere).</summary>
    public void Forget(string key) => _entries.TryRemove(key, out _);

    /// <summary>Drops the entries whose older versions no snapshot can see any more, then the oldest past the limit.</summary>
    private void Sweep(SnapshotHorizon horizon)
    {
        foreach (var (key, entry) in _entries)
        {
            if (!entry.StillNeeded(horizon))
            {
                _entries.TryRemove(new KeyValuePair<string, Entry>(key, entry));
            }
        }

        var excess = _entries.Count - MaxEntries + 1;
        if (excess > 0)
        {
            foreach (var (key, entry) in _entries.OrderBy(pair => pair.Value.Sequence).Take(excess).ToList())
            {
                _entries.TryRemove(new KeyValuePair<string, Entry>(key, entry));
            }
        }
    }

    /// <param name="StillNeeded">Whether some snapshot may still read a version older than the newest.</param>
    private sealed record Entry(string ETag, Array Versions, Func<SnapshotHorizon, bool> StillNeeded, long Sequence);
}
