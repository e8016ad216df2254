using System.Diagnostics;
using Roundabout.Transactions.Timestamps;

namespace Roundabout.State;

/// <summary>
/// The committed versions of one transactional state, oldest first. Only versions that some
/// running or future snapshot can see are kept (see <see cref="Prune"/>).
/// </summary>
internal sealed class VersionChain<T>
{
    private readonly List<CommittedVersion<T>> _versions = [];

    /// <summary>Starts a chain whose history before <paramref name="commitTimestamp"/> is unknown unless it is 0 (the initial state).</summary>
    public VersionChain(long commitTimestamp, T value)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(commitTimestamp);
        _versions.Add(new CommittedVersion<T>(commitTimestamp, long.MaxValue, value));
    }

    /// <summary>
    /// Resumes a chain from the versions a stopped activation stored (<see cref="Resume"/>):
    /// oldest first, each superseded where the next kept one begins or earlier (pruning leaves gaps), the last one newest.
    /// </summary>
    public VersionChain(IReadOnlyList<CommittedVersion<T>> versions)
    {
        ArgumentNullException.ThrowIfNull(versions);
        if (versions.Count == 0 || versions[^1].SupersededAt != long.MaxValue)
        {
            throw new ArgumentException("A chain ends with its newest version, which nothing supersedes.", nameof(versions));
        }

        for (var i = 1; i < versions.Count; i++)
        {
            if (versions[i - 1].SupersededAt > versions[i].CommitTimestamp)
            {
                throw new ArgumentException($"Version {versions[i - 1].CommitTimestamp} is superseded at {versions[i - 1].SupersededAt}, after the next kept version {versions[i].CommitTimestamp}.", nameof(versions));
            }
        }

        _versions.AddRange(versions);
    }

    /// <summary>
    /// The chain of a record loaded from storage: its <paramref name="history"/> (see
    /// <see cref="HistoryBefore"/>), then its committed version. A history that does not hold
    /// together (out of order, or reaching past the committed version) is left out, and
    /// <paramref name="historyLeftOut"/> says so: it only serves older snapshots, which then find
    /// their versions too old instead of the grain failing to activate.
    /// </summary>
    public static VersionChain<T> Resume(IReadOnlyList<CommittedVersion<T>>? history, long commitTimestamp, T value, out bool historyLeftOut)
    {
        historyLeftOut = false;
        if (history is not { Count: > 0 })
        {
            return new VersionChain<T>(commitTimestamp, value);
        }

        var ends = 0L;
        foreach (var version in history)
        {
            if (version.CommitTimestamp < ends || version.SupersededAt <= version.CommitTimestamp)
            {
                historyLeftOut = true;
                return new VersionChain<T>(commitTimestamp, value);
            }

            ends = version.SupersededAt;
        }

        if (ends > commitTimestamp)
        {
            historyLeftOut = true;
            return new VersionChain<T>(commitTimestamp, value);
        }

        return new VersionChain<T>([.. history, new CommittedVersion<T>(commitTimestamp, long.MaxValue, value)]);
    }

    public CommittedVersion<T> Newest => _versions[^1];

    public int Count => _versions.Count;

    public IReadOnlyList<CommittedVersion<T>> Versions => _versions;

    /// <summary>
    /// The version a snapshot at <paramref name="readTimestamp"/> sees, or <c>false</c> when
    /// that version is no longer kept. Timestamp 0 is the initial state, so a chain that
    /// starts at 0 can answer every snapshot.
    /// </summary>
    public bool TryGetVisible(long readTimestamp, out CommittedVersion<T> version)
    {
        for (var i = _versions.Count - 1; i >= 0; i--)
        {
            var candidate = _versions[i];
            if (candidate.CommitTimestamp <= readTimestamp)
            {
                version = candidate;
                return candidate.IsVisibleAt(readTimestamp);
            }
        }

        version = default;
        return false;
    }

    /// <summary>
    /// What to store beside a record whose committed version is at <paramref name="recordTimestamp"/>,
    /// so that its next activation can serve running snapshots (<see cref="Resume"/>): the versions
    /// committed before it that some running or future snapshot may read, oldest first. Each ends
    /// at <paramref name="recordTimestamp"/> at the latest: a version of this chain that reaches past
    /// it is not what a snapshot above it would see, because the record holds changes that the chain
    /// has not installed yet (a write committed by its own durability; for a counter, additions
    /// folded into its value).
    /// </summary>
    public CommittedVersion<T>[] HistoryBefore(long recordTimestamp, SnapshotHorizon horizon)
    {
        var history = new List<CommittedVersion<T>>(_versions.Count);
        foreach (var version in _versions)
        {
            if (version.CommitTimestamp >= recordTimestamp)
            {
                break;
            }

            var ended = version with { SupersededAt = Math.Min(version.SupersededAt, recordTimestamp) };
            if (!horizon.IsUnobservable(ended.CommitTimestamp, ended.SupersededAt))
            {
                history.Add(ended);
            }
        }

        return [.. history];
    }

    /// <summary>Whether some running or future snapshot may read a version older than the newest.</summary>
    public bool HasObservableOlderVersion(SnapshotHorizon horizon)
    {
        for (var i = 0; i < _versions.Count - 1; i++)
        {
            if (!horizon.IsUnobservable(_versions[i].CommitTimestamp, _versions[i].SupersededAt))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether a version was committed after <paramref name="readTimestamp"/>.</summary>
    public bool HasCommitAfter(long readTimestamp) => Newest.CommitTimestamp > readTimestamp;

    /// <summary>
    /// Whether a version may have been committed in the open interval
    /// (<paramref name="readTimestamp"/>, <paramref name="commitTimestamp"/>). When the chain
    /// no longer knows (the snapshot's version was dropped) the answer is <c>true</c>: a
    /// validation that cannot prove a read is still valid must not accept it.
    /// </summary>
    public bool MayHaveCommitBetween(long readTimestamp, long commitTimestamp)
    {
        if (!TryGetVisible(readTimestamp, out var seen))
        {
            return true;
        }

        return seen.SupersededAt < commitTimestamp;
    }

    /// <summary>Adds the newest version. Versions are installed in timestamp order.</summary>
    public void Install(long commitTimestamp, T value)
    {
        var newest = Newest;
        if (commitTimestamp <= newest.CommitTimestamp)
        {
            throw new InvalidOperationException(
                $"Version {commitTimestamp} cannot be installed after version {newest.CommitTimestamp}: commits must arrive in timestamp order.");
        }

        _versions[^1] = newest with { SupersededAt = commitTimestamp };
        _versions.Add(new CommittedVersion<T>(commitTimestamp, long.MaxValue, value));
    }

    /// <summary>
    /// Applies a commutative change committed at <paramref name="commitTimestamp"/>, which may be
    /// older than the newest version (commutative writes commit out of order): a version is
    /// inserted at that timestamp and every later version gets the change too. Safe because no
    /// snapshot at or above the timestamp has read while the change was undecided.
    /// </summary>
    public void InsertCommuting(long commitTimestamp, Func<T, T> apply)
    {
        ArgumentNullException.ThrowIfNull(apply);
        for (var i = 0; i < _versions.Count; i++)
        {
            if (_versions[i].CommitTimestamp == commitTimestamp)
            {
                throw new InvalidOperationException($"A version at {commitTimestamp} exists already.");
            }

            if (_versions[i].CommitTimestamp > commitTimestamp)
            {
                _versions[i] = _versions[i] with { Value = apply(_versions[i].Value) };
            }
        }

        if (commitTimestamp > Newest.CommitTimestamp)
        {
            Install(commitTimestamp, apply(Newest.Value));
            return;
        }

        var index = _versions.FindLastIndex(v => v.CommitTimestamp < commitTimestamp);
        if (index < 0 || !_versions[index].IsVisibleAt(commitTimestamp))
        {
            // The version the change applies to was pruned (or loaded without history): nobody can
            // read at this timestamp, so only the later versions, updated above, matter.
            return;
        }

        var before = _versions[index];
        _versions[index] = before with { SupersededAt = commitTimestamp };
        _versions.Insert(index + 1, new CommittedVersion<T>(commitTimestamp, before.SupersededAt, apply(before.Value)));
    }

    /// <summary>
    /// Drops every superseded version that no running or future snapshot can see. The newest
    /// version is always kept. Returns how many were dropped.
    /// </summary>
    /// <param name="dropped">Told of each dropped version, with the kept version after it.</param>
    public int Prune(SnapshotHorizon horizon, Action<CommittedVersion<T>, CommittedVersion<T>>? dropped = null)
    {
        int removed;
        if (dropped is null)
        {
            removed = _versions.RemoveAll(v => IsPrunable(v, horizon));
        }
        else
        {
            // Compacts in place, telling of each run of dropped versions once the kept one after it is known.
            var kept = 0;
            var runStart = -1;
            for (var i = 0; i < _versions.Count; i++)
            {
                var version = _versions[i];
                if (IsPrunable(version, horizon))
                {
                    runStart = runStart < 0 ? i : runStart;
                    continue;
                }

                if (runStart >= 0)
                {
                    for (var gone = runStart; gone < i; gone++)
                    {
                        dropped(_versions[gone], version);
                    }

                    runStart = -1;
                }

                _versions[kept++] = version;
            }

            removed = _versions.Count - kept;
            _versions.RemoveRange(kept, removed);
        }

        Debug.Assert(_versions.Count > 0 && Newest.SupersededAt == long.MaxValue, "The newest version is never pruned.");
        return removed;
    }

    private static bool IsPrunable(CommittedVersion<T> version, SnapshotHorizon horizon) =>
        version.SupersededAt != long.MaxValue && horizon.IsUnobservable(version.CommitTimestamp, version.SupersededAt);
}
