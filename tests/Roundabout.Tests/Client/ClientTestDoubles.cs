using Roundabout.Transactions;

namespace Roundabout.Tests.Client;

/// <summary>
/// The cluster's transactions, except that each <see cref="WaitForChangeAsync"/> call gives up
/// after at most <paramref name="cap"/>: the grains do the same at 20 s (so that a call never
/// outlives Orleans' response time-out), and a short cap lets a test see what the runner does
/// when a wait ends with "nothing changed" before the run's own time-out.
/// </summary>
internal sealed class CappedWaitTransactions(IRoundaboutTransactions inner, TimeSpan cap) : IRoundaboutTransactions
{
    private int _waits;

    /// <summary>How many wait calls the runner made.</summary>
    public int Waits => Volatile.Read(ref _waits);

    public Task<T> RunAsync<T>(Func<Task<T>> body, TransactionOptions? options = null) => inner.RunAsync(body, options);

    public Task RunAsync(Func<Task> body, TransactionOptions? options = null) => inner.RunAsync(body, options);

    public Task<IReadOnlyList<Transactions.OneRound.PreparedPart>> RunOneRoundAsync(
        Func<Transactions.OneRound.OneRoundTicket, IReadOnlyCollection<Task<Transactions.OneRound.PreparedPart>>> parts,
        TransactionOptions? options = null) => inner.RunOneRoundAsync(parts, options);

    public Task<bool> WaitForChangeAsync(RetryRequestedException retry, TimeSpan timeout)
    {
        Interlocked.Increment(ref _waits);
        return inner.WaitForChangeAsync(retry, timeout < cap ? timeout : cap);
    }
}
