using System.Diagnostics;
using Orleans.Transactions;
using Roundabout.Transactions;

namespace Roundabout.Client.Library;

/// <summary>
/// Runs a transaction body and retries it when it conflicts. The body may run more than once,
/// so it must have no effects outside the transaction (grain calls inside it join the
/// transaction and are undone with it).
/// </summary>
public sealed class TransactionRunner(IRoundaboutTransactions transactions)
{
    private readonly IRoundaboutTransactions _transactions = transactions ?? throw new ArgumentNullException(nameof(transactions));

    private readonly Random _random = new();

    /// <summary>How many attempts ended in a retried conflict since this runner was made.</summary>
    public long Retries => Interlocked.Read(ref _retries);

    private long _retries;

    public Task<T> RunAsync<T>(Func<Task<T>> body, RunOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(body);
        options ??= new RunOptions();
        var transactionOptions = options.ToTransactionOptions();
        return RetryAsync(() => _transactions.RunAsync(body, transactionOptions), options, cancellationToken);
    }

    /// <summary>
    /// Retries <paramref name="operation"/> on conflicts without starting a transaction around it:
    /// for operations that run their own (a grain method with <c>[Transaction(Create)]</c>, say).
    /// </summary>
    public async Task<T> RetryAsync<T>(Func<Task<T>> operation, RunOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(operation);
        options ??= new RunOptions();
        options.Validate();
        ThrowIfInsideATransaction();
        var started = Stopwatch.GetTimestamp();
        for (var attempt = 1; ; attempt++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                return await operation();
            }
            catch (RetryRequestedException retry)
            {
                // Stm.Retry: not a conflict, a wait for what it read to change; attempts are not counted.
                attempt--;
                await WaitForChangeAsync(retry, options.Timeout, started, cancellationToken);
            }
            catch (OrleansTransactionTransientFailureException conflict) when (attempt < options.Retry.MaxAttempts)
            {
                Interlocked.Increment(ref _retries);
                TimeSpan delay;
                lock (_random)
                {
                    delay = options.Retry.DelayAfter(attempt, _random);
                }

                if (options.HasTimeLimit && Stopwatch.GetElapsedTime(started) + delay > options.Timeout)
                {
                    throw new TimeoutException($"The transaction did not commit within {options.Timeout} ({attempt} attempts); the last attempt conflicted: {conflict.Message}", conflict);
                }

                await Task.Delay(delay, cancellationToken);
            }
        }
    }

    /// <summary>
    /// The runner and the client's helpers commit transactions of their own. Called from a
    /// transaction's body they would commit even if that transaction then aborted, which is never
    /// what the body means; inside a body, grain methods are what joins the transaction.
    /// </summary>
    private static void ThrowIfInsideATransaction()
    {
        if (TransactionContext.GetTransactionInfo() is { } ambient)
        {
            throw new InvalidOperationException(
                $"This call would start a transaction of its own inside transaction {ambient.Id}, and commit even if that one aborts. " +
                "Inside a transaction's body, call the grains' methods (IAccountGrain.Withdraw and Deposit, IRecordGrain.Put, ...), which join it; " +
                "use RunAsync and the RoundaboutClient helpers outside transactions.");
        }
    }

    /// <summary>
    /// Waits until something the attempt that called <see cref="Stm.Retry"/> read has changed, or
    /// throws <see cref="TimeoutException"/> when the run's <paramref name="timeout"/> is used up.
    /// One wait call may end with "nothing changed" long before that: each grain caps a wait at
    /// 20 s so that a call never outlives Orleans' response time-out. So it calls again, with the
    /// same snapshot, and a commit between two calls is still seen as newer than it.
    /// </summary>
    private async Task WaitForChangeAsync(RetryRequestedException retry, TimeSpan timeout, long started, CancellationToken cancellationToken)
    {
        while (true)
        {
            // No limit: ask for the longest wait; the grains cap it at theirs.
            var remaining = timeout == Timeout.InfiniteTimeSpan ? TimeSpan.MaxValue : timeout - Stopwatch.GetElapsedTime(started);
            if (remaining <= TimeSpan.Zero)
            {
                throw new TimeoutException($"The transaction called Stm.Retry and nothing it read changed within {timeout}.", retry);
            }

            // The grains cannot be told to stop waiting: on cancellation the run stops listening
            // and their answers (at most one cap later) go unread.
            if (await _transactions.WaitForChangeAsync(retry, remaining).WaitAsync(cancellationToken))
            {
                return;
            }
        }
    }

    public Task RetryAsync(Func<Task> operation, RunOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(operation);
        return RetryAsync(
            async () =>
            {
                await operation();
                return true;
            },
            options,
            cancellationToken);
    }

    /// <summary>
    /// Runs <paramref name="first"/>; if it calls <see cref="Stm.Retry"/>, runs <paramref name="second"/>
    /// instead (each alternative is its own atomic transaction attempt, and the one that commits is
    /// the only one that took effect). If both retry, waits until something either of them read
    /// changes and starts again with <paramref name="first"/>.
    /// </summary>
    public Task<T> OrElseAsync<T>(Func<Task<T>> first, Func<Task<T>> second, RunOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        options ??= new RunOptions();
        var transactionOptions = options.ToTransactionOptions();
        return RetryAsync(
            async () =>
            {
                try
                {
                    return await _transactions.RunAsync(first, transactionOptions);
                }
                catch (RetryRequestedException firstRetry)
                {
                    try
                    {
                        return await _transactions.RunAsync(second, transactionOptions);
                    }
                    catch (RetryRequestedException secondRetry)
                    {
                        // Both wait: wake up on a change to anything either one read.
                        throw new RetryRequestedException(
                            [.. firstRetry.ReadSet, .. secondRetry.ReadSet],
                            Math.Min(firstRetry.ReadTimestamp, secondRetry.ReadTimestamp));
                    }
                }
            },
            options,
            cancellationToken);
    }

    public Task RunAsync(Func<Task> body, RunOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(body);
        options ??= new RunOptions();
        var transactionOptions = options.ToTransactionOptions();
        return RetryAsync(() => _transactions.RunAsync(body, transactionOptions), options, cancellationToken);
    }
}
