namespace Roundabout.Transactions.Retries;

/// <summary>
/// Exponential back-off with full jitter, for every retry of a conflict (the silo's retry of
/// transaction roots, the client library's runner): concurrent losers of one conflict spread out
/// instead of meeting again.
/// </summary>
public static class ExponentialBackoff
{
    /// <summary>
    /// The pause after <paramref name="failedAttempts"/> failures: random in
    /// [0, min(<paramref name="maxDelay"/>, <paramref name="baseDelay"/> × 2^(failedAttempts - 1))].
    /// </summary>
    public static TimeSpan FullJitter(int failedAttempts, TimeSpan baseDelay, TimeSpan maxDelay, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        var ceiling = Math.Min(maxDelay.TotalMilliseconds, baseDelay.TotalMilliseconds * Math.Pow(2, Math.Clamp(failedAttempts - 1, 0, 30)));
        return TimeSpan.FromMilliseconds(random.NextDouble() * ceiling);
    }
}
