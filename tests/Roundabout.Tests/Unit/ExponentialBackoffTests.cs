using Roundabout.Transactions.Retries;

namespace Roundabout.Tests.Unit;

/// <summary>The back-off every conflict retry shares: random below a ceiling that doubles per failure, up to the maximum.</summary>
public sealed class ExponentialBackoffTests
{
    [Theory]
    [InlineData(1, 2)]
    [InlineData(2, 4)]
    [InlineData(4, 16)]
    [InlineData(10, 200)]
    [InlineData(int.MaxValue, 200)]
    public void Pause_IsRandomBelowACeilingThatDoublesUpToTheMaximum(int failedAttempts, double ceilingMs)
    {
        var random = new Random(7);
        var pauses = Enumerable.Range(0, 2_000)
            .Select(_ => ExponentialBackoff.FullJitter(failedAttempts, TimeSpan.FromMilliseconds(2), TimeSpan.FromMilliseconds(200), random).TotalMilliseconds)
            .ToArray();

        Assert.All(pauses, pause => Assert.InRange(pause, 0, ceilingMs));
        Assert.InRange(pauses.Max(), ceilingMs * 0.95, ceilingMs);
        Assert.InRange(pauses.Min(), 0, ceilingMs * 0.05);
    }
}
