using Roundabout.State;
using Roundabout.Transactions.Timestamps;

namespace Roundabout.Tests.Unit;

public sealed class VersionChainTests
{
    /// <summary>v0 committed at 0, v10 at 10, v20 at 20: each visible in [commit, next commit).</summary>
    internal static VersionChain<string> ThreeVersions()
    {
        var chain = new VersionChain<string>(0, "v0");
        chain.Install(10, "v10");
        chain.Install(20, "v20");
        return chain;
    }

    [Fact]
    public void Constructor_NegativeTimestamp_ThrowsArgumentOutOfRange()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new VersionChain<string>(-1, "x"));
    }

    [Fact]
    public void TryGetVisible_InitialChain_AnswersEverySnapshot()
    {
        var chain = new VersionChain<string>(0, "initial");

        foreach (var readTimestamp in new[] { 0L, 1L, 1_000_000L, long.MaxValue - 1 })
        {
            Assert.True(chain.TryGetVisible(readTimestamp, out var version), $"snapshot {readTimestamp}");
            Assert.Equal("initial", version.Value);
            Assert.Equal(long.MaxValue, version.SupersededAt);
        }
    }

    [Theory]
    [InlineData(0, "v0")]
    [InlineData(9, "v0")]
    [InlineData(10, "v10")]
    [InlineData(19, "v10")]
    [InlineData(20, "v20")]
    [InlineData(long.MaxValue - 1, "v20")]
    public void TryGetVisible_AtTimestamp_ReturnsNewestVersionAtOrBelowIt(long readTimestamp, string expected)
    {
        var chain = ThreeVersions();

        Assert.True(chain.TryGetVisible(readTimestamp, out var version));
        Assert.Equal(expected, version.Value);
        Assert.True(version.IsVisibleAt(readTimestamp));
    }

    [Fact]
    public void TryGetVisible_BeforeTheOldestKnownVersion_ReturnsFalse()
    {
        // Loaded from storage: the history before 5 is unknown.
        var chain = new VersionChain<string>(5, "loaded");

        Assert.False(chain.TryGetVisible(4, out _));
        Assert.True(chain.TryGetVisible(5, out var version));
        Assert.Equal("loaded", version.Value);
    }

    [Fact]
    public void Install_InOrder_SetsSupersededAtOfThePreviousVersion()
    {
        var chain = ThreeVersions();

        Assert.Equal(
            [new CommittedVersion<string>(0, 10, "v0"), new CommittedVersion<string>(10, 20, "v10"), new CommittedVersion<string>(20, long.MaxValue, "v20")],
            chain.Versions);
        Assert.Equal("v20", chain.Newest.Value);
        Assert.Equal(3, chain.Count);
    }

    [Theory]
    [InlineData(20)]
    [InlineData(19)]
    [InlineData(0)]
    public void Install_AtOrBelowTheNewest_ThrowsAndChangesNothing(long commitTimestamp)
    {
        var chain = ThreeVersions();
        var before = chain.Versions.ToArray();

        Assert.Throws<InvalidOperationException>(() => chain.Install(commitTimestamp, "late"));

        Assert.Equal(before, chain.Versions);
        Assert.True(chain.TryGetVisible(25, out var version));
        Assert.Equal("v20", version.Value);
    }

    [Theory]
    [InlineData(0, true)]
    [InlineData(19, true)]
    [InlineData(20, false)]
    [InlineData(21, false)]
    public void HasCommitAfter_ComparesWithTheNewestVersion(long readTimestamp, bool expected)
    {
        Assert.Equal(expected, ThreeVersions().HasCommitAfter(readTimestamp));
    }

    [Theory]
    [InlineData(5, 9, false)] // v10 commits at 10, after the interval
    [InlineData(5, 10, false)] // the interval is open: a commit exactly at c is not inside
    [InlineData(5, 11, true)]
    [InlineData(9, 30, true)]
    [InlineData(10, 20, false)]
    [InlineData(10, 21, true)]
    [InlineData(20, 1_000, false)]
    [InlineData(25, long.MaxValue, false)]
    public void MayHaveCommitBetween_FullChain_IsExact(long readTimestamp, long commitTimestamp, bool expected)
    {
        Assert.Equal(expected, ThreeVersions().MayHaveCommitBetween(readTimestamp, commitTimestamp));
    }

    [Fact]
    public void MayHaveCommitBetween_SnapshotVersionUnknown_ReturnsTrue()
    {
        var loaded = new VersionChain<string>(50, "loaded");
        Assert.True(loaded.MayHaveCommitBetween(40, 45));

        var pruned = ThreeVersions();
        pruned.Prune(new SnapshotHorizon(100, []));
        Assert.True(pruned.MayHaveCommitBetween(15, 16), "a snapshot in the pruned gap must not be validated");
    }

    [Fact]
    public void Prune_HorizonNone_KeepsEverything()
    {
        var chain = ThreeVersions();

        Assert.Equal(0, chain.Prune(SnapshotHorizon.None));
        Assert.Equal(3, chain.Count);
    }

    [Fact]
    public void Prune_NoActiveSnapshotAndHorizonAboveAll_KeepsOnlyTheNewest()
    {
        var chain = ThreeVersions();

        Assert.Equal(2, chain.Prune(new SnapshotHorizon(1_000, [])));

        Assert.Equal([new CommittedVersion<string>(20, long.MaxValue, "v20")], chain.Versions);
    }

    [Fact]
    public void Prune_ActiveSnapshot_KeepsTheVersionItSees()
    {
        var chain = ThreeVersions();

        Assert.Equal(1, chain.Prune(new SnapshotHorizon(1_000, [15])));

        Assert.Equal([10L, 20L], chain.Versions.Select(v => v.CommitTimestamp));
        Assert.True(chain.TryGetVisible(15, out var seen));
        Assert.Equal("v10", seen.Value);
    }

    [Fact]
    public void Prune_ActiveSnapshotAtSupersedingTimestamp_DoesNotKeepTheOlderVersion()
    {
        var chain = ThreeVersions();

        // A snapshot at 10 sees v10, not v0.
        chain.Prune(new SnapshotHorizon(1_000, [10]));

        Assert.Equal([10L, 20L], chain.Versions.Select(v => v.CommitTimestamp));
    }

    [Fact]
    public void Prune_VersionSupersededAboveHorizon_IsKeptForFutureSnapshots()
    {
        var chain = ThreeVersions();

        // Transactions not yet listed may read anywhere above 15, so v10 ([10, 20)) must stay.
        chain.Prune(new SnapshotHorizon(15, []));

        Assert.Equal([10L, 20L], chain.Versions.Select(v => v.CommitTimestamp));
        Assert.True(chain.TryGetVisible(16, out var seen));
        Assert.Equal("v10", seen.Value);
    }

    [Fact]
    public void Prune_VersionSupersededExactlyAtHorizon_IsDropped()
    {
        var chain = ThreeVersions();

        // Future snapshots read above 20, where v10 is no longer visible.
        chain.Prune(new SnapshotHorizon(20, []));

        Assert.Equal([20L], chain.Versions.Select(v => v.CommitTimestamp));
    }

    [Fact]
    public void TryGetVisible_InPrunedGap_ReturnsFalseInsteadOfAnOlderValue()
    {
        var chain = ThreeVersions();
        chain.Install(30, "v30");

        // Snapshot 5 keeps v0, snapshot 25 keeps v20; v10 ([10, 20)) is seen by no one.
        chain.Prune(new SnapshotHorizon(1_000, [5, 25]));

        Assert.Equal([0L, 20L, 30L], chain.Versions.Select(v => v.CommitTimestamp));
        Assert.False(chain.TryGetVisible(15, out _), "a snapshot in the gap must not see v0");
        Assert.True(chain.TryGetVisible(5, out var old));
        Assert.Equal("v0", old.Value);
        Assert.True(chain.TryGetVisible(25, out var middle));
        Assert.Equal("v20", middle.Value);
    }

    /// <summary>
    /// Against a model: after pruning, every snapshot that is active or may still start sees
    /// exactly what it saw before; every other snapshot sees the same value or "not kept"; and
    /// every kept superseded version has a snapshot that can see it.
    /// </summary>
    [Fact]
    public void Prune_RandomChainsAndHorizons_KeepsExactlyWhatSomeSnapshotCanSee()
    {
        const int seed = 20240611;
        var random = new Random(seed);
        for (var round = 0; round < 500; round++)
        {
            var commits = new List<long> { random.Next(0, 3) };
            var versionCount = random.Next(1, 12);
            while (commits.Count < versionCount)
            {
                commits.Add(commits[^1] + random.Next(1, 6));
            }

            var chain = new VersionChain<long>(commits[0], commits[0]);
            foreach (var commit in commits.Skip(1))
            {
                chain.Install(commit, commit);
            }

            var top = commits[^1] + 5;
            var horizon = random.Next(0, (int)top + 1);
            var active = Enumerable.Range(0, random.Next(0, 4)).Select(_ => (long)random.Next(0, horizon + 1)).Distinct().Order().ToArray();
            var before = Enumerable.Range(0, (int)top + 3).Select(t => (Found: chain.TryGetVisible(t, out var v), v.Value)).ToArray();

            var removed = chain.Prune(new SnapshotHorizon(horizon, active));

            var context = $"round {round}: commits [{string.Join(',', commits)}], horizon {horizon}, active [{string.Join(',', active)}]";
            Assert.Equal(versionCount - removed, chain.Count);
            Assert.Equal(commits[^1], chain.Newest.Value);
            for (var t = 0; t < before.Length; t++)
            {
                var found = chain.TryGetVisible(t, out var now);
                if (t > horizon || active.Contains(t))
                {
                    Assert.True(found == before[t].Found && (!found || now.Value == before[t].Value), $"{context}: snapshot {t} changed");
                }
                else if (found)
                {
                    Assert.True(before[t].Found && now.Value == before[t].Value, $"{context}: snapshot {t} saw {now.Value}, not {before[t].Value}");
                }
            }

            foreach (var kept in chain.Versions.Where(v => v.SupersededAt != long.MaxValue))
            {
                // Unlisted transactions read above the horizon; a version superseded above it may be seen by one.
                var observable = kept.SupersededAt > horizon || active.Any(kept.IsVisibleAt);
                Assert.True(observable, $"{context}: version {kept.CommitTimestamp} was kept though no snapshot can see it");
            }
        }
    }

    [Fact]
    public void HistoryBefore_TheNewestCommit_StoresTheOlderVersionsSnapshotsMayRead_AndResumeServesThem()
    {
        var chain = ThreeVersions(); // v0 [0,10), v10 [10,20), v20 [20,...)

        // A snapshot at 12 is running; nobody can read at 0-9 any more.
        var history = chain.HistoryBefore(20, new SnapshotHorizon(25, [12]));
        var resumed = VersionChain<string>.Resume(history, 20, "v20", out _);

        Assert.Equal([new CommittedVersion<string>(10, 20, "v10")], history);
        Assert.True(resumed.TryGetVisible(12, out var seen));
        Assert.Equal("v10", seen.Value);
        Assert.True(resumed.TryGetVisible(30, out seen));
        Assert.Equal("v20", seen.Value);
        Assert.False(resumed.TryGetVisible(5, out _)); // too old, never a wrong value
    }

    [Fact]
    public void HistoryBefore_ACommitTheChainHasNotInstalled_EndsTheNewestThere()
    {
        // The record holds a write at 30 that commits when durable: the chain still ends with v20.
        var history = ThreeVersions().HistoryBefore(30, new SnapshotHorizon(35, [15, 25]));
        var resumed = VersionChain<string>.Resume(history, 30, "v30", out _);

        Assert.Equal([new CommittedVersion<string>(10, 20, "v10"), new CommittedVersion<string>(20, 30, "v20")], history);
        Assert.True(resumed.TryGetVisible(25, out var seen));
        Assert.Equal("v20", seen.Value);
        Assert.True(resumed.TryGetVisible(30, out seen));
        Assert.Equal("v30", seen.Value);
    }

    [Fact]
    public void HistoryBefore_AnEarlierCut_LeavesAGapThatAnswersTooOld()
    {
        // A counter's record folds additions committed at 15 and 30 into its value at 30: the
        // chain's v10 holds only until 15, and what 15-29 saw is not stored.
        var history = ThreeVersions().HistoryBefore(15, new SnapshotHorizon(35, [12, 25]));
        var resumed = VersionChain<string>.Resume(history, 30, "v30", out _);

        Assert.Equal([new CommittedVersion<string>(10, 15, "v10")], history);
        Assert.True(resumed.TryGetVisible(12, out var seen));
        Assert.Equal("v10", seen.Value);
        Assert.False(resumed.TryGetVisible(25, out _));
    }

    [Fact]
    public void HistoryBefore_NoSnapshotNeedsOlderVersions_IsEmpty_AndResumeStartsAtTheRecord()
    {
        var history = ThreeVersions().HistoryBefore(20, new SnapshotHorizon(25, []));
        var resumed = VersionChain<string>.Resume(history, 20, "v20", out _);

        Assert.Empty(history);
        Assert.Equal(1, resumed.Count);
        Assert.False(resumed.TryGetVisible(19, out _));
    }

    [Theory]
    [InlineData(10, 15, 20, 20)] // its last version was committed where the record's begins
    [InlineData(10, 15, 15, 25)] // its last version reaches into the record's
    [InlineData(10, 18, 15, 19)] // its versions overlap
    [InlineData(10, 10, 15, 19)] // a version that holds for no timestamp
    public void Resume_AHistoryThatDoesNotHoldTogether_IsLeftOut(long firstCommit, long firstEnd, long lastCommit, long lastEnd)
    {
        CommittedVersion<string>[] history = [new(firstCommit, firstEnd, "v1"), new(lastCommit, lastEnd, "v2")];

        var resumed = VersionChain<string>.Resume(history, 20, "v20", out var historyLeftOut);

        Assert.True(historyLeftOut);
        Assert.Equal([new CommittedVersion<string>(20, long.MaxValue, "v20")], resumed.Versions);
    }
}
