namespace Roundabout.State;

/// <summary>
/// What a counter's escrow check must still know about its kept versions beyond their values: the
/// bounds that the additions which made them committed under, and the values of versions that
/// pruning dropped from between them.
/// </summary>
/// <remarks>
/// Additions commute, so one may commit at a timestamp below additions already installed: it then
/// changes every later version by its delta. Serializability needs more than its own bound to hold
/// there: each later addition's bound must still hold at that addition's version (a withdrawal
/// checked "balance at least 0" at its own timestamp, whatever commits below it afterwards), and
/// every later value counts, including those of versions no snapshot can read any more and pruning
/// dropped (their lows are what a floor is about).
///
/// So each kept version may carry a mark, relative to its own value, which every addition below it
/// shifts together with it: the lowest and highest value among the dropped versions before it (as
/// offsets), and the tightest floor and ceiling its value must keep for its own addition's and the
/// dropped versions' bounds to hold. A dropped version folds its value and its mark into the next
/// kept version's. An addition whose timestamp falls among dropped versions is checked against the
/// whole run of them, the ones before its timestamp too: stricter than it needs, never looser.
/// Marks at or below the counter's highest read timestamp are forgotten: nothing commits there.
/// </remarks>
internal sealed class CounterEscrowMarks
{
    private readonly Dictionary<long, Mark> _marks = [];

    /// <summary>How many kept versions carry a mark (tests).</summary>
    public int Count => _marks.Count;

    public void Clear() => _marks.Clear();

    /// <summary>
    /// After an addition at <paramref name="commitTimestamp"/> was inserted into <paramref name="chain"/>:
    /// remembers the bounds it committed under, as bounds on the version it made.
    /// </summary>
    /// <param name="lowestFloor">The lowest value the version may have for the addition's floors to hold, or null for none.</param>
    /// <param name="highestCeiling">Likewise for its ceilings.</param>
    public void Installed(VersionChain<long> chain, long commitTimestamp, long delta, Int128? lowestFloor, Int128? highestCeiling)
    {
        var versions = chain.Versions;
        var at = IndexOfFirstFrom(versions, commitTimestamp);
        if (at < 0)
        {
            return; // it made no version and none follows (an addition of 0)
        }

        var version = versions[at];
        if (version.CommitTimestamp == commitTimestamp)
        {
            if (lowestFloor is not null || highestCeiling is not null)
            {
                _marks[commitTimestamp] = new Mark(0, 0, lowestFloor, highestCeiling);
            }

            return;
        }

        // The version it applies to had been dropped, so it made none: it changed the gap before
        // the next kept version. The gap's values before it did not move with that version: widen
        // the gap by the delta. The addition's value lies in the gap, at an offset no lower than the
        // gap's lowest, so bounding the kept version by the gap's extremes is at least as strict.
        // The bounds folded from the dropped versions before it moved against the kept version by
        // the delta too: each is kept at the stricter of where it was and where it moved.
        var mark = _marks.GetValueOrDefault(version.CommitTimestamp, Mark.None);
        var lowOffset = Int128.Min(mark.LowOffset, mark.LowOffset - delta);
        var highOffset = Int128.Max(mark.HighOffset, mark.HighOffset - delta);
        var floor = mark.Floor is { } folded ? Int128.Max(folded, folded + delta) : (Int128?)null;
        var ceiling = mark.Ceiling is { } foldedCeiling ? Int128.Min(foldedCeiling, foldedCeiling + delta) : (Int128?)null;
        _marks[version.CommitTimestamp] = new Mark(
            lowOffset,
            highOffset,
            Tighter(floor, lowestFloor - lowOffset, Int128.Max),
            Tighter(ceiling, highestCeiling - highOffset, Int128.Min));
    }

    /// <summary>Pruning dropped <paramref name="dropped"/>; <paramref name="next"/> is the kept version after it.</summary>
    public void Dropped(CommittedVersion<long> dropped, CommittedVersion<long> next)
    {
        _marks.Remove(dropped.CommitTimestamp, out var own);

        // Offsets from the next version's value: additions below both shift them alike.
        var offset = (Int128)dropped.Value - next.Value;
        var droppedMark = own; // a version without a mark has the default one, Mark.None
        var mark = _marks.GetValueOrDefault(next.CommitTimestamp, Mark.None);
        _marks[next.CommitTimestamp] = new Mark(
            Int128.Min(mark.LowOffset, offset + droppedMark.LowOffset),
            Int128.Max(mark.HighOffset, offset + droppedMark.HighOffset),
            Tighter(mark.Floor, droppedMark.Floor - offset, Int128.Max),
            Tighter(mark.Ceiling, droppedMark.Ceiling - offset, Int128.Min));
    }

    /// <summary>
    /// Forgets the marks of versions at or below <paramref name="timestamp"/>, below which no
    /// addition can commit any more (the counter's highest read): an addition above a version
    /// does not change it.
    /// </summary>
    public void ForgetUpTo(long timestamp)
    {
        if (_marks.Count == 0)
        {
            return;
        }

        foreach (var versionTimestamp in _marks.Keys)
        {
            if (versionTimestamp <= timestamp)
            {
                _marks.Remove(versionTimestamp); // allowed while enumerating since .NET Core 3.0
            }
        }
    }

    /// <summary>
    /// What an addition at <paramref name="commitTimestamp"/> would change: the lowest and highest
    /// value from there on, dropped versions included, and how far the values may fall or rise
    /// before a later addition's bound breaks (<see cref="Int128.MaxValue"/> for no bound).
    /// </summary>
    public EscrowRange RangeFrom(VersionChain<long> chain, long commitTimestamp)
    {
        var range = new EscrowRange(long.MaxValue, long.MinValue, Int128.MaxValue, Int128.MaxValue);
        foreach (var version in chain.Versions)
        {
            if (version.SupersededAt <= commitTimestamp)
            {
                continue;
            }

            Int128 value = version.Value;
            range = range with { Low = Int128.Min(range.Low, value), High = Int128.Max(range.High, value) };
            if (version.CommitTimestamp > commitTimestamp && _marks.TryGetValue(version.CommitTimestamp, out var mark))
            {
                range = new EscrowRange(
                    Int128.Min(range.Low, value + mark.LowOffset),
                    Int128.Max(range.High, value + mark.HighOffset),
                    mark.Floor is { } floor ? Int128.Min(range.RoomBelow, value - floor) : range.RoomBelow,
                    mark.Ceiling is { } ceiling ? Int128.Min(range.RoomAbove, ceiling - value) : range.RoomAbove);
            }
        }

        return range;
    }

    private static int IndexOfFirstFrom(IReadOnlyList<CommittedVersion<long>> versions, long timestamp)
    {
        for (var i = 0; i < versions.Count; i++)
        {
            if (versions[i].CommitTimestamp >= timestamp)
            {
                return i;
            }
        }

        return -1;
    }

    private static Int128? Tighter(Int128? current, Int128? candidate, Func<Int128, Int128, Int128> pick) =>
        (current, candidate) switch
        {
            ({ } a, { } b) => pick(a, b),
            (null, var b) => b,
            (var a, null) => a,
        };

    /// <param name="LowOffset">The lowest value of the dropped versions before this one, less this one's (at most 0).</param>
    /// <param name="HighOffset">Likewise the highest (at least 0).</param>
    /// <param name="Floor">The lowest this version's value may go for every bound it carries to hold; null for none.</param>
    /// <param name="Ceiling">Likewise the highest.</param>
    private readonly record struct Mark(Int128 LowOffset, Int128 HighOffset, Int128? Floor, Int128? Ceiling)
    {
        public static Mark None { get; } = new(0, 0, null, null);
    }
}

/// <summary>What an addition at a timestamp would change (see <see cref="CounterEscrowMarks.RangeFrom"/>).</summary>
/// <param name="Low">The lowest value from that timestamp on.</param>
/// <param name="High">The highest.</param>
/// <param name="RoomBelow">How far those values may fall before a later addition's floor breaks.</param>
/// <param name="RoomAbove">How far they may rise before a later addition's ceiling breaks.</param>
internal readonly record struct EscrowRange(Int128 Low, Int128 High, Int128 RoomBelow, Int128 RoomAbove);
