using Roundabout.State;
using Roundabout.Transactions.Timestamps;

namespace Roundabout.Tests.Unit;

public sealed class RetiredVersionsTests
{
    /// <summary>A timestamp source that only answers the horizon the test sets.</summary>
    private sealed class FixedHorizon : ITimestampSource
    {
        public SnapshotHorizon Horizon { get; set; } = SnapshotHorizon.None;

        public Task<long> NextAsync(Guid? registerAs = null, TimeSpan registrationTimeout = default) => throw new NotSupportedException();
    }

    /// <summary>v0 at 0, v10 at 10, v20 at 20.</summary>
    private static VersionChain<string> ThreeVersions() => VersionChainTests.ThreeVersions();

    [Fact]
    public void TakeOver_SameRecord_GetsTheVersionsOnce()
    {
        var retired = new RetiredVersions(new FixedHorizon());
        retired.Retire("k", "etag-1", ThreeVersions());

        var versions = retired.TakeOver<string>("k", "etag-1");

        Assert.NotNull(versions);
        var chain = new VersionChain<string>(versions);
        Assert.True(chain.TryGetVisible(15, out var seen));
        Assert.Equal("v10", seen.Value);
        Assert.Null(retired.TakeOver<string>("k", "etag-1"));
    }

    [Fact]
    public void TakeOver_RecordWrittenSince_GetsNothing()
    {
        var retired = new RetiredVersions(new FixedHorizon());
        retired.Retire("k", "etag-1", ThreeVersions());

        // Another activation (on another silo, say) wrote meanwhile: the versions may miss its commits.
        Assert.Null(retired.TakeOver<string>("k", "etag-2"));
        Assert.Equal(0, retired.Count);
    }

    [Fact]
    public void Retire_NoSnapshotCanSeeTheOlderVersions_KeepsNothing()
    {
        // Everything up to 30 handed out, no snapshot running: only the newest version is of use.
        var retired = new RetiredVersions(new FixedHorizon { Horizon = new SnapshotHorizon(30, []) });

        retired.Retire("k", "etag-1", ThreeVersions());

        Assert.Equal(0, retired.Count);
    }

    [Fact]
    public void Retire_ASnapshotStillReadsAnOlderVersion_KeepsOnlyWhatItCanSee()
    {
        // A snapshot at 12 runs: it sees v10; v0 is of no use to anyone.
        var retired = new RetiredVersions(new FixedHorizon { Horizon = new SnapshotHorizon(30, [12]) });
        retired.Retire("k", "etag-1", ThreeVersions());

        var versions = retired.TakeOver<string>("k", "etag-1");

        Assert.Equal(["v10", "v20"], versions!.Select(version => version.Value));
    }

    [Fact]
    public void Retire_ManyEntries_SweepsThoseNoSnapshotNeedsAnyMore()
    {
        // A snapshot at 15 runs: every entry keeps v10 for it.
        var horizon = new FixedHorizon { Horizon = new SnapshotHorizon(30, [15]) };
        var retired = new RetiredVersions(horizon);
        for (var i = 0; i <= RetiredVersions.SweepAbove; i++)
        {
            retired.Retire($"k{i}", "etag", ThreeVersions());
        }

        Assert.Equal(RetiredVersions.SweepAbove + 1, retired.Count); // swept once already, but all still needed

        // The snapshot ended: the next retirement sweeps them all (and keeps nothing itself).
        horizon.Horizon = new SnapshotHorizon(30, []);
        retired.Retire("after", "etag", ThreeVersions());

        Assert.Equal(0, retired.Count);
    }

    [Fact]
    public void Chain_FromVersionsOutOfOrder_IsRefused()
    {
        Assert.Throws<ArgumentException>(() => new VersionChain<string>([new CommittedVersion<string>(10, 30, "a"), new CommittedVersion<string>(20, long.MaxValue, "b")]));
        Assert.Throws<ArgumentException>(() => new VersionChain<string>([new CommittedVersion<string>(10, 20, "a")]));
    }
}

public sealed class VersionHandoverTests
{
    private sealed class NoHorizon : ITimestampSource
    {
        public SnapshotHorizon Horizon => SnapshotHorizon.None;

        public Task<long> NextAsync(Guid? registerAs = null, TimeSpan registrationTimeout = default) => throw new NotSupportedException();
    }

    [Fact]
    public void TakeOver_RecordsCommittedVersionIsNotTheChainsNewest_StartsWithoutThem()
    {
        // The stopped activation had installed v20 in memory, but its record still holds v10
        // (same ETag: the install was never written): the versions are not that record's history.
        var retired = new RetiredVersions(new NoHorizon());
        var stopped = new VersionHandover<string>("k", retired, () => ("etag-1", VersionChainTests.ThreeVersions()));
        stopped.Retire();

        var next = new VersionHandover<string>("k", retired, () => null);

        Assert.Null(next.TakeOver("etag-1", newest => newest.CommitTimestamp == 10));
    }

    [Fact]
    public void TakeOver_RecordMatches_ResumesTheChain()
    {
        var retired = new RetiredVersions(new NoHorizon());
        new VersionHandover<string>("k", retired, () => ("etag-1", VersionChainTests.ThreeVersions())).Retire();

        var chain = new VersionHandover<string>("k", retired, () => null).TakeOver("etag-1", newest => newest.CommitTimestamp == 20);

        Assert.NotNull(chain);
        Assert.True(chain.TryGetVisible(5, out var seen));
        Assert.Equal("v0", seen.Value);
    }
}
