using System.Diagnostics;
using Orleans.Transactions;
using Roundabout.Client.Library;

namespace Roundabout.Client.Benchmarks;

public enum TransactionOutcome
{
    Committed,

    /// <summary>Aborted again and again until the give-up time passed.</summary>
    GaveUp,

    /// <summary>The system could not say whether it committed; not retried, as that could apply it twice.</summary>
    InDoubt,
}

/// <summary>
/// Runs a transaction through Orleans' <see cref="ITransactionClient"/> (Roundabout's agent or
/// Orleans' own, whichever the silo uses) and reruns it after every abort that is not the body's
/// own exception, with the client library's jittered back-off, until it commits or
/// <paramref name="giveUpAfter"/> has passed.
/// </summary>
public sealed class PatientTransactions(ITransactionClient client, TimeSpan giveUpAfter)
{
    private static readonly RetryPolicy Backoff = RetryPolicy.Default;

    /// <param name="cancellationToken">Stops the back-off between attempts (an attempt under way runs to its end).</param>
    public async Task<(TransactionOutcome Outcome, int Retries)> RunAsync(Func<Task> body, Random random, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await client.RunTransaction(TransactionOption.Create, body);
                return (TransactionOutcome.Committed, attempt - 1);
            }
            catch (Exception exception) when (Cause(exception) is OrleansTransactionInDoubtException)
            {
                return (TransactionOutcome.InDoubt, attempt - 1);
            }
            catch (Exception exception) when (IsRetryable(Cause(exception)))
            {
                var delay = Backoff.DelayAfter(attempt, random);
                if (Stopwatch.GetElapsedTime(started) + delay > giveUpAfter)
                {
                    return (TransactionOutcome.GaveUp, attempt - 1);
                }

                await Task.Delay(delay, cancellationToken);
            }
        }
    }

    /// <summary>
    /// Aborts of either system: Roundabout's conflicts, Orleans' lock upgrade, broken lock,
    /// cascading abort, prepare and lock time-outs (all <see cref="OrleansTransactionAbortedException"/>),
    /// and time-outs of the calls inside.
    /// </summary>
    private static bool IsRetryable(Exception cause) =>
        cause is OrleansTransactionAbortedException or OrleansTransactionOverloadException or OrleansStartTransactionFailedException or TimeoutException;

    /// <summary>
    /// Orleans wraps the body's exception in a plain <see cref="OrleansTransactionAbortedException"/>:
    /// look inside, so that an application exception (insufficient funds, a bug) is not retried.
    /// </summary>
    private static Exception Cause(Exception exception)
    {
        var current = exception;
        while (current.GetType() == typeof(OrleansTransactionAbortedException) && current.InnerException is { } inner)
        {
            current = inner;
        }

        return current;
    }
}
