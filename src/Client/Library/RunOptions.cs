using Roundabout.Transactions;

namespace Roundabout.Client.Library;

/// <summary>Choices for one <see cref="TransactionRunner.RunAsync{T}"/> call.</summary>
public sealed record RunOptions
{
    /// <summary>Isolation level; the agent's default (Serializable) when not set.</summary>
    public IsolationLevel? Isolation { get; init; }

    /// <summary>A read-only snapshot transaction: never aborts because of writers, writes nothing.</summary>
    public bool ReadOnly { get; init; }

    /// <summary>
    /// Gives up (with <see cref="TimeoutException"/>, the last conflict inside) when retries, or
    /// the wait of a <see cref="Stm.Retry"/>, would run past it. Default: 30 s.
    /// <see cref="System.Threading.Timeout.InfiniteTimeSpan"/> means no limit: conflicts are then
    /// bounded by <see cref="RetryPolicy.MaxAttempts"/> only, and a <see cref="Stm.Retry"/> waits
    /// until a change or the run's cancellation.
    /// </summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    public RetryPolicy Retry { get; init; } = RetryPolicy.Default;

    internal bool HasTimeLimit => Timeout != System.Threading.Timeout.InfiniteTimeSpan;

    internal TransactionOptions ToTransactionOptions() => new(Isolation, ReadOnly);

    internal void Validate()
    {
        if (Timeout <= TimeSpan.Zero && HasTimeLimit)
        {
            throw new ArgumentOutOfRangeException(
                nameof(Timeout),
                Timeout,
                $"RunOptions.Timeout must be positive, or Timeout.InfiniteTimeSpan for no limit; it is {Timeout}.");
        }

        if (Isolation is { } isolation && !Enum.IsDefined(isolation))
        {
            throw new ArgumentOutOfRangeException(
                nameof(Isolation),
                isolation,
                $"RunOptions.Isolation must be IsolationLevel.Serializable or IsolationLevel.Snapshot (or unset for the default); it is {isolation}.");
        }

        if (Retry is null)
        {
            throw new ArgumentNullException(nameof(Retry), "RunOptions.Retry must be set: RetryPolicy.Default, or RetryPolicy.None for no retries.");
        }

        Retry.Validate();
    }
}
