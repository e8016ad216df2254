using Orleans.Transactions;

namespace Roundabout.Transactions.Retries;

/// <summary>
/// What Roundabout's retry of conflicting transaction roots retries, and how long it waits between
/// attempts (see <see cref="RoundaboutTransactionOptions.RootConflictRetries"/>).
/// </summary>
internal static class RootConflictRetry
{
    private static readonly TimeSpan FirstBackoff = TimeSpan.FromMilliseconds(1);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Whether <paramref name="exception"/> says the transaction certainly took no effect and may
    /// simply run again: a conflict, a snapshot no longer kept, any of Orleans' transient transaction
    /// failures; itself or as the reason inside the <see cref="OrleansTransactionAbortedException"/>
    /// that Orleans' pipeline wraps a joined call's failure in. Never an application's exception,
    /// and never "in doubt".
    /// </summary>
    public static bool IsRetryable(Exception? exception)
    {
        for (var depth = 0; exception is not null && depth < 4; depth++, exception = exception.InnerException)
        {
            switch (exception)
            {
                case OrleansTransactionTransientFailureException:
                    return true;
                case OrleansTransactionAbortedException:
                    continue; // Orleans' wrapper: the reason is inside
                default:
                    return false;
            }
        }

        return false;
    }

    /// <summary>The pause after attempt <paramref name="attempt"/> (from 0) failed.</summary>
    public static Task BackoffAsync(int attempt) =>
        Task.Delay(ExponentialBackoff.FullJitter(attempt + 1, FirstBackoff, MaxBackoff, Random.Shared));
}
