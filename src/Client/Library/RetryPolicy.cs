using Roundabout.Transactions.Retries;

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
    public TimeSpan DelayAfter(int failedAttempts, Random random) =>
        ExponentialBackoff.FullJitter(failedAttempts, BaseDelay, MaxDelay, random);

    /// <summary>The longest back-off a timer can wait (Task.Delay's limit, about 49 days).</summary>
    public static TimeSpan LongestDelay { get; } = TimeSpan.FromMilliseconds(uint.MaxValue - 1);

    internal void Validate()
    {
        if (MaxAttempts < 1)
        {
            throw new ArgumentOutOfRangeException(
                nameof(MaxAttempts),
                MaxAttempts,
                $"RetryPolicy.MaxAttempts counts the first attempt, so it must be at least 1 (RetryPolicy.None for no retries); it is {MaxAttempts}.");
        }

        if (BaseDelay < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(BaseDelay), BaseDelay, $"RetryPolicy.BaseDelay must be zero or positive; it is {BaseDelay}.");
        }

        if (MaxDelay < BaseDelay)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxDelay), MaxDelay, $"RetryPolicy.MaxDelay must be at least BaseDelay ({BaseDelay}); it is {MaxDelay}.");
        }

        if (MaxDelay > LongestDelay)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxDelay), MaxDelay, $"RetryPolicy.MaxDelay must be at most {LongestDelay}, the longest a timer waits; it is {MaxDelay}.");
        }
    }
}
