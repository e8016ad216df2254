using Orleans.Transactions;
using Roundabout.Transactions;

namespace Roundabout.Tests.Unit;

public sealed class TransactionStampTests
{
    public static TheoryData<long, IsolationLevel> RoundTripCases() => new()
    {
        { 1, IsolationLevel.Serializable },
        { 1, IsolationLevel.Snapshot },
        { 123_456_789, IsolationLevel.Serializable },
        { 123_456_789, IsolationLevel.Snapshot },
        { TransactionStamp.MaxReadTimestamp, IsolationLevel.Serializable },
        { TransactionStamp.MaxReadTimestamp, IsolationLevel.Snapshot },
    };

    [Theory]
    [MemberData(nameof(RoundTripCases))]
    public void FromPriority_OfToPriority_ReturnsTheSameStamp(long readTimestamp, IsolationLevel isolation)
    {
        var stamp = new TransactionStamp(readTimestamp, isolation);

        var priority = stamp.ToPriority();

        Assert.Equal(DateTimeKind.Utc, priority.Kind);
        Assert.Equal(stamp, TransactionStamp.FromPriority(priority));
    }

    [Fact]
    public void Of_TransactionInfo_ReadsThePriority()
    {
        var stamp = new TransactionStamp(42, IsolationLevel.Snapshot);
        var info = new TransactionInfo(Guid.NewGuid(), DateTime.UtcNow, stamp.ToPriority(), readOnly: false);

        Assert.Equal(stamp, TransactionStamp.Of(info));
    }

    [Fact]
    public void ToPriority_DistinctStamps_GiveDistinctPriorities()
    {
        var priorities = new[]
        {
            new TransactionStamp(7, IsolationLevel.Serializable).ToPriority(),
            new TransactionStamp(7, IsolationLevel.Snapshot).ToPriority(),
            new TransactionStamp(8, IsolationLevel.Serializable).ToPriority(),
        };

        Assert.Equal(3, priorities.Distinct().Count());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(long.MinValue)]
    public void ToPriority_NonPositiveReadTimestamp_ThrowsArgumentOutOfRange(long readTimestamp)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new TransactionStamp(readTimestamp, IsolationLevel.Serializable).ToPriority());
    }

    [Fact]
    public void ToPriority_ReadTimestampAboveMax_ThrowsArgumentOutOfRange()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new TransactionStamp(TransactionStamp.MaxReadTimestamp + 1, IsolationLevel.Snapshot).ToPriority());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(599_266_080_000_000_000)] // 1900-01-01: the first time of day Orleans' own agent could stamp
    [InlineData(639_316_094_188_090_613)] // 2026-11-30, a priority Orleans' agent gave
    public void FromPriority_NoReadTimestamp_ThrowsNamingUseRoundaboutTransactions(long ticks)
    {
        var error = Assert.Throws<InvalidOperationException>(() => TransactionStamp.FromPriority(new DateTime(ticks, DateTimeKind.Utc)));
        Assert.Contains("UseRoundaboutTransactions", error.Message);
    }
}
