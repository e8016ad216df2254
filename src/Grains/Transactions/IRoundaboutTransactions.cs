namespace Roundabout.Transactions;

/// <summary>
/// Roundabout's native API: what Orleans' <c>ITransactionClient</c> cannot express.
/// Available on silos and clients that call <c>UseRoundaboutTransactions()</c>.
/// </summary>
public interface IRoundaboutTransactions
{
    /// <summary>
    /// Runs <paramref name="body"/> as a new transaction with the given options and commits
    /// it. Grain calls made inside join it. Throws <see cref="TransactionConflictException"/>
    /// on a conflict (nothing took effect) and <c>OrleansTransactionInDoubtException</c> when
    /// the outcome is unknown.
    /// </summary>
    Task<T> RunAsync<T>(Func<Task<T>> body, TransactionOptions? options = null);

    /// <summary>Runs <paramref name="body"/> as a new transaction with the given options and commits it.</summary>
    Task RunAsync(Func<Task> body, TransactionOptions? options = null);

    /// <summary>
    /// After a body called <see cref="Stm.Retry"/> (surfacing as <paramref name="retry"/>), waits
    /// until a version newer than its snapshot is committed at any state it read, or the time-out
    /// passes. Returns whether something changed.
    /// </summary>
    Task<bool> WaitForChangeAsync(RetryRequestedException retry, TimeSpan timeout);
}

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
