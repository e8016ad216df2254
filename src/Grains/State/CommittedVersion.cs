using Roundabout.Transactions.Timestamps;

namespace Roundabout.State;

/// <summary>
/// A committed value and the span of timestamps it is the newest version for:
/// <c>[CommitTimestamp, SupersededAt)</c>. <see cref="SupersededAt"/> is
/// <see cref="long.MaxValue"/> for the newest version.
/// </summary>
/// <remarks>
/// Keeping the successor's timestamp on each version, rather than relying on the next
/// retained version, is what lets pruning drop versions from the middle of a chain and still
/// answer "too old" instead of a wrong value for a snapshot that fell into the gap.
/// </remarks>
[GenerateSerializer]
internal readonly record struct CommittedVersion<T>([property: Id(0)] long CommitTimestamp, [property: Id(1)] long SupersededAt, [property: Id(2)] T Value)
{
    public bool IsVisibleAt(long readTimestamp) => CommitTimestamp <= readTimestamp && readTimestamp < SupersededAt;

    /// <summary>Whether a running or future snapshot may read this version (the newest always may).</summary>
    public bool IsObservable(SnapshotHorizon horizon) => SupersededAt == long.MaxValue || !horizon.IsUnobservable(CommitTimestamp, SupersededAt);
}
