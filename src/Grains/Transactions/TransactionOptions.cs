namespace Roundabout.Transactions;

/// <summary>Per-transaction choices.</summary>
/// <param name="Isolation">Defaults to the agent's <see cref="RoundaboutTransactionOptions.DefaultIsolation"/>.</param>
/// <param name="ReadOnly">
/// A read-only transaction reads one snapshot, never aborts because of writers, and writes
/// nothing to storage; an attempt to write fails.
/// </param>
public sealed record TransactionOptions(IsolationLevel? Isolation = null, bool ReadOnly = false)
{
    public static TransactionOptions ReadOnlySnapshot { get; } = new(IsolationLevel.Snapshot, ReadOnly: true);
}
