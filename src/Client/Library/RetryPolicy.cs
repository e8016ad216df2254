namespace Roundabout.Client.Library;

/// <summary>How the runner retries conflicts: exponential back-off with full jitter, bounded attempts.</summary>
public sealed record RetryPolicy
{
    /// <summary>Attempts in all, the first included. Default: 10.</summary>
    public int MaxAttempts { get; init; } = 10;

    /// <summary>The back-off before the second attempt; it doubles after each conflict. Default: 2 ms.</summary>
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromMilliseconds(2);

    /// <summary>The longest back-off. Default: 200 ms.</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>No retries: the first conflict surfaces.</summary>
    public static RetryPolicy None { get; } = new() { MaxAttempts = 1 };

    public static RetryPolicy Default { get; } = new();

    /// <summary>The back-off after <paramref name="failedAttempts"/> conflicts: random in [0, min(max, base * 2^(n-1))].</summary>
    public TimeSpan DelayAfter(int failedAttempts, Random random)
    {
        var ceiling = Math.Min(MaxDelay.TotalMilliseconds, BaseDelay.TotalMilliseconds * Math.Pow(2, Math.Min(failedAttempts - 1, 30)));
        return TimeSpan.FromMilliseconds(random.NextDouble() * ceiling);
    }

    internal void Validate()
    {
        if (MaxAttempts < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxAttempts), MaxAttempts, "At least one attempt is needed.");
        }

        if (BaseDelay < TimeSpan.Zero || MaxDelay < BaseDelay)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxDelay), MaxDelay, "Delays must be non-negative, and MaxDelay at least BaseDelay.");
        }
    }
}
