using Roundabout.Transactions;

namespace Roundabout.Client.Library;

/// <summary>Choices for one <see cref="TransactionRunner.RunAsync{T}"/> call.</summary>
public sealed record RunOptions
{
    /// <summary>Isolation level; the agent's default (Serializable) when not set.</summary>
    public IsolationLevel? Isolation { get; init; }

    /// <summary>A read-only snapshot transaction: never aborts because of writers, writes nothing.</summary>
    public bool ReadOnly { get; init; }

    /// <summary>Gives up (with <see cref="TimeoutException"/>, the last conflict inside) when retries would run past it. Default: 30 s.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    public RetryPolicy Retry { get; init; } = RetryPolicy.Default;

    internal TransactionOptions ToTransactionOptions() => new(Isolation, ReadOnly);
}
