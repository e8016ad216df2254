using Roundabout.Transactions.Timestamps;

namespace Roundabout.Tests.Unit;

public sealed class SnapshotHorizonTests
{
    [Fact]
    public void IsUnobservable_None_IsAlwaysFalse()
    {
        Assert.False(SnapshotHorizon.None.IsUnobservable(0, 1));
        Assert.False(SnapshotHorizon.None.IsUnobservable(5, 10));
    }

    [Theory]
    [InlineData(0, 10, true)]
    [InlineData(0, 100, true)] // superseded exactly at the horizon: future snapshots read above it
    [InlineData(0, 101, false)]
    [InlineData(99, 1_000, false)]
    public void IsUnobservable_NoActiveSnapshots_DependsOnTheHorizon(long from, long to, bool expected)
    {
        Assert.Equal(expected, new SnapshotHorizon(100, []).IsUnobservable(from, to));
    }

    [Theory]
    [InlineData(10, 20, false)] // active 10 == from
    [InlineData(5, 20, false)] // active 10 inside
    [InlineData(5, 11, false)] // active 10 is the last timestamp inside
    [InlineData(5, 10, true)] // active 10 == to: it sees the next version
    [InlineData(11, 20, true)] // active 10 below from, 30 above to
    [InlineData(20, 30, true)]
    [InlineData(20, 31, false)] // active 30 inside
    [InlineData(31, 40, true)]
    public void IsUnobservable_ActiveSnapshots_FalseExactlyWhenOneReadsInTheSpan(long from, long to, bool expected)
    {
        Assert.Equal(expected, new SnapshotHorizon(100, [10, 30]).IsUnobservable(from, to));
    }

    [Fact]
    public void IsUnobservable_ManySnapshotsOutsideTheSpan_ReturnsTrue()
    {
        var horizon = new SnapshotHorizon(100, [1, 2, 3, 10, 11, 50]);

        Assert.True(horizon.IsUnobservable(4, 10));
        Assert.True(horizon.IsUnobservable(12, 50));
        Assert.False(horizon.IsUnobservable(4, 11));
    }
}
