using Roundabout.State;
using Roundabout.Transactions.Timestamps;

namespace Roundabout.Tests.Unit;

/// <summary>
/// What a stopping activation stores for the snapshots still running (<see cref="StoredHistory"/>,
/// <see cref="RoundaboutTransactionalCounter.RecordOf"/>), and what its next activation makes of it:
/// a snapshot gets the value it would have got from the stopped activation, or "too old", never
/// another value.
/// </summary>
public sealed class StoredHistoryTests
{
    private sealed class Slot
    {
        public int OwnBytes { get; init; }

        public CommittedVersion<string>[]? History { get; set; }
    }

    private static byte[] SizeOf(Slot slot) => new byte[slot.OwnBytes + (slot.History?.Sum(version => version.Value.Length) ?? 0)];

    private static CommittedVersion<string>[] Versions(int count, int bytesEach) =>
        [.. Enumerable.Range(0, count).Select(i => new CommittedVersion<string>(10 * i, 10 * (i + 1), new string((char)('a' + i), bytesEach)))];

    [Fact]
    public void Serialize_AHistoryThatFits_KeepsItWhole()
    {
        var slot = new Slot { OwnBytes = 100 };

        var bytes = StoredHistory.Serialize(slot, Versions(4, 100), static (s, h) => s.History = h, SizeOf, maxBytes: 500);

        Assert.Equal(500, bytes.Length);
        Assert.Equal(4, slot.History!.Length);
    }

    [Fact]
    public void Serialize_AHistoryTooLarge_DropsTheOldestVersionsFirst()
    {
        var slot = new Slot { OwnBytes = 100 };
        var history = Versions(10, 100);

        var bytes = StoredHistory.Serialize(slot, history, static (s, h) => s.History = h, SizeOf, maxBytes: 450);

        Assert.True(bytes.Length <= 450, $"{bytes.Length} bytes");
        Assert.NotEmpty(slot.History!);
        Assert.Equal(history[^slot.History!.Length..], slot.History); // the newest ones, in order
    }

    [Fact]
    public void Serialize_ARecordLargerThanTheBudgetAlone_IsWrittenWithoutHistory()
    {
        var slot = new Slot { OwnBytes = 600 };

        var bytes = StoredHistory.Serialize(slot, Versions(3, 100), static (s, h) => s.History = h, SizeOf, maxBytes: 500);

        Assert.Equal(600, bytes.Length);
        Assert.Null(slot.History);
    }

    /// <summary>
    /// A counter at 100 (10), 70 (20), 75 (30), with an addition of 5 at 25 that another
    /// participant's decision still holds, and one of 1 at 35 that commits when durable (folded
    /// into the record's value). Snapshots at 15, 22, 27 and 32 are running.
    /// </summary>
    [Fact]
    public void CounterRecord_WithPendingAndFoldedAdditions_ServesEveryRunningSnapshotItsValue()
    {
        var chain = new VersionChain<long>(10, 100);
        chain.Install(20, 70);
        chain.Install(30, 75);
        var pending = new Dictionary<Guid, RoundaboutTransactionalCounter.Pending>
        {
            [Guid.NewGuid()] = new() { CommitTimestamp = 25, Delta = 5 },
            [Guid.NewGuid()] = new() { CommitTimestamp = 35, Delta = 1, CommitsWhenDurable = true },
        };

        var resumed = StopAndResume(chain, pending, new SnapshotHorizon(40, [15, 22, 27, 32]));

        Assert.Equal([100L, 70, 75, 80, 81], new long[] { 15, 22, 27, 32, 35 }.Select(t => ValueAt(resumed, t)!.Value));
    }

    [Fact]
    public void CounterRecord_AFoldedAdditionBelowTheNewestValue_CutsTheHistoryThere()
    {
        // The addition of 1 at 28 is folded into the value at 30: what 28-29 saw is not stored.
        var chain = new VersionChain<long>(10, 100);
        chain.Install(20, 70);
        chain.Install(30, 75);
        var pending = new Dictionary<Guid, RoundaboutTransactionalCounter.Pending>
        {
            [Guid.NewGuid()] = new() { CommitTimestamp = 28, Delta = 1, CommitsWhenDurable = true },
        };

        var resumed = StopAndResume(chain, pending, new SnapshotHorizon(40, [15, 22, 29, 32]));

        Assert.Equal(100, ValueAt(resumed, 15));
        Assert.Equal(70, ValueAt(resumed, 22));
        Assert.Null(ValueAt(resumed, 29)); // too old, not 70 or 75
        Assert.Equal(76, ValueAt(resumed, 32));
    }

    /// <summary>
    /// Random counters, pending additions (some folded) and running snapshots: whatever the next
    /// activation answers is what the stopped one would have answered once every addition committed.
    /// </summary>
    [Fact]
    public void CounterRecord_RandomHistories_NeverServeAnotherValue()
    {
        var random = new Random(20261130);
        for (var round = 0; round < 2_000; round++)
        {
            var timestamps = Enumerable.Range(1, 60).OrderBy(_ => random.Next()).Take(random.Next(2, 9)).Select(t => (long)t).ToArray();
            var versionTimestamps = timestamps.Take(random.Next(1, timestamps.Length)).Order().ToArray();
            var chain = new VersionChain<long>(versionTimestamps[0], random.Next(0, 1_000));
            foreach (var timestamp in versionTimestamps.Skip(1))
            {
                chain.Install(timestamp, chain.Newest.Value + random.Next(-50, 51));
            }

            var pending = timestamps.Skip(versionTimestamps.Length).ToDictionary(
                _ => Guid.NewGuid(),
                timestamp => new RoundaboutTransactionalCounter.Pending { CommitTimestamp = timestamp, Delta = random.Next(-20, 21), CommitsWhenDurable = random.Next(2) == 0 });
            var active = Enumerable.Range(0, random.Next(0, 5)).Select(_ => (long)random.Next(0, 64)).Distinct().Order().ToArray();
            var horizon = new SnapshotHorizon(random.Next(0, 70), active);

            var expected = new VersionChain<long>(chain.Versions);
            foreach (var addition in pending.Values)
            {
                expected.InsertCommuting(addition.CommitTimestamp, value => value + addition.Delta);
            }

            var resumed = StopAndResume(chain, pending, horizon);

            var context = $"round {round}: versions [{string.Join(',', chain.Versions.Select(v => $"{v.CommitTimestamp}:{v.Value}"))}], "
                + $"pending [{string.Join(',', pending.Values.Select(p => $"{p.CommitTimestamp}:{p.Delta}{(p.CommitsWhenDurable ? "d" : "")}"))}], horizon {horizon.Horizon}, active [{string.Join(',', active)}]";
            for (var t = 0L; t <= 65; t++)
            {
                if (ValueAt(resumed, t) is { } served)
                {
                    Assert.True(ValueAt(expected, t) == served, $"{context}: snapshot {t} got {served}, not {ValueAt(expected, t)}");
                }
            }
        }
    }

    /// <summary>What the record written at the stop makes of the counter in its next activation, once the recovered additions have committed.</summary>
    private static VersionChain<long> StopAndResume(VersionChain<long> chain, Dictionary<Guid, RoundaboutTransactionalCounter.Pending> pending, SnapshotHorizon horizon)
    {
        var (slot, history) = RoundaboutTransactionalCounter.RecordOf(chain, pending, horizon);
        var resumed = VersionChain<long>.Resume(history, slot.CommitTimestamp, slot.Value, out var historyLeftOut);
        Assert.False(historyLeftOut);
        foreach (var recovered in slot.Prepared)
        {
            resumed.InsertCommuting(recovered.CommitTimestamp, value => value + recovered.Delta);
        }

        return resumed;
    }

    private static long? ValueAt(VersionChain<long> chain, long readTimestamp) =>
        chain.TryGetVisible(readTimestamp, out var version) ? version.Value : null;
}
