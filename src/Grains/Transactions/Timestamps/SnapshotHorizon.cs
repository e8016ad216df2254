namespace Roundabout.Transactions.Timestamps;

/// <summary>
/// What the cluster knows about snapshots in use: every running transaction with a read
/// timestamp at or below <see cref="Horizon"/> is listed in <see cref="ActiveReadTimestamps"/>
/// or falls in one of <see cref="ActiveRanges"/>; transactions that are not read above <see cref="Horizon"/>.
/// </summary>
/// <remarks>
/// A committed version that was superseded at or below the horizon and that no listed
/// snapshot can see is invisible to every present and future transaction, so it may be dropped.
/// </remarks>
[GenerateSerializer, Immutable]
public sealed record SnapshotHorizon(
    [property: Id(0)] long Horizon,
    [property: Id(1)] long[] ActiveReadTimestamps,
    [property: Id(2)] TimestampRange[] ActiveRanges)
{
    /// <summary>A horizon with single read timestamps only.</summary>
    public SnapshotHorizon(long horizon, long[] activeReadTimestamps)
        : this(horizon, activeReadTimestamps, [])
    {
    }

    /// <summary>Knows nothing: nothing may be pruned.</summary>
    public static SnapshotHorizon None { get; } = new(0, [], []);

    /// <summary>
    /// True when no transaction, running or future, can read in <c>[from, to)</c>.
    /// <see cref="ActiveReadTimestamps"/> is sorted ascending.
    /// </summary>
    public bool IsUnobservable(long from, long to)
    {
        if (to > Horizon)
        {
            return false;
        }

        foreach (var range in ActiveRanges)
        {
            if (range.First < to && from < range.First + range.Count)
            {
                return false;
            }
        }

        var index = Array.BinarySearch(ActiveReadTimestamps, from);
        if (index >= 0)
        {
            return false;
        }

        // ~index is the first active snapshot above 'from'.
        var next = ~index;
        return next >= ActiveReadTimestamps.Length || ActiveReadTimestamps[next] >= to;
    }
}

/// <summary><see cref="Count"/> consecutive timestamps from <see cref="First"/>.</summary>
[GenerateSerializer, Immutable]
public readonly record struct TimestampRange([property: Id(0)] long First, [property: Id(1)] long Count);
