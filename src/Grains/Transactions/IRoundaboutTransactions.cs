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
    /// Runs a one-round transaction: each grain's part is one call that does its work and
    /// prepares it, so the transaction takes one message per grain plus the installs, instead of
    /// an operation call and a prepare call per grain. <paramref name="parts"/> is called once
    /// with the transaction's ticket and makes the calls, which must not depend on each other's
    /// results; each grain method runs its body through <see cref="OneRound.OneRoundGrainExtensions.RunOneRoundPart"/>.
    /// Same isolation guarantees as <see cref="RunAsync(Func{Task}, TransactionOptions?)"/>.
    /// </summary>
    /// <example><c>await transactions.RunOneRoundAsync(round => [from.Withdraw(round, 5), to.Deposit(round, 5)]);</c></example>
    /// <exception cref="TransactionConflictException">A part's validation failed; nothing took effect. Retry.</exception>
    /// <exception cref="Orleans.Transactions.OrleansTransactionInDoubtException">The outcome is unknown.</exception>
    /// <remarks>
    /// If a part throws, nothing takes effect and the part's own exception is rethrown. A round that
    /// ends in a conflict (or a <see cref="SnapshotTooOldException"/>) is tried again at a new timestamp (three attempts in all) before the
    /// conflict reaches the caller, so <paramref name="parts"/> may be called more than once: the
    /// timestamp is taken before the parts run, and a grain that activated or a snapshot that read
    /// meanwhile sits above it.
    /// </remarks>
    /// <returns>The committed attempt's parts, in the order the callback made the calls (each with its body's <see cref="OneRound.PreparedPart.Result"/>).</returns>
    Task<IReadOnlyList<OneRound.PreparedPart>> RunOneRoundAsync(Func<OneRound.OneRoundTicket, IReadOnlyCollection<Task<OneRound.PreparedPart>>> parts, TransactionOptions? options = null);

    /// <summary>
    /// After a body called <see cref="Stm.Retry"/> (surfacing as <paramref name="retry"/>), waits
    /// until a version newer than its snapshot is committed at any state it read, or the time-out
    /// passes. Returns whether something changed, or may have: a grain that starts deactivating
    /// answers true, so that the body runs again (and waits again, at the next activation). <paramref name="timeout"/> is positive, or
    /// <see cref="Timeout.InfiniteTimeSpan"/>; either way one call waits at most 20 s (each grain's
    /// limit, well inside Orleans' response time-out), so a caller that wants longer asks again.
    /// </summary>
    Task<bool> WaitForChangeAsync(RetryRequestedException retry, TimeSpan timeout);
}
