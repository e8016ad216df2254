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
    private readonly Random _random = new();

    /// <summary>How many attempts ended in a retried conflict since this runner was made.</summary>
    public long Retries => Interlocked.Read(ref _retries);

    private long _retries;

    public Task<T> RunAsync<T>(Func<Task<T>> body, RunOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(body);
        options ??= new RunOptions();
        var transactionOptions = options.ToTransactionOptions();
        return RetryAsync(() => transactions.RunAsync(body, transactionOptions), options, cancellationToken);
    }

    /// <summary>
    /// Retries <paramref name="operation"/> on conflicts without starting a transaction around it:
    /// for operations that run their own (a grain method with <c>[Transaction(Create)]</c>, say).
    /// </summary>
    public async Task<T> RetryAsync<T>(Func<Task<T>> operation, RunOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(operation);
        options ??= new RunOptions();
        options.Retry.Validate();
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
                var remaining = options.Timeout - Stopwatch.GetElapsedTime(started);
                if (remaining <= TimeSpan.Zero || !await transactions.WaitForChangeAsync(retry, remaining))
                {
                    throw new TimeoutException($"The transaction called Stm.Retry and nothing it read changed within {options.Timeout}.", retry);
                }
            }
            catch (OrleansTransactionTransientFailureException conflict) when (attempt < options.Retry.MaxAttempts)
            {
                Interlocked.Increment(ref _retries);
                TimeSpan delay;
                lock (_random)
                {
                    delay = options.Retry.DelayAfter(attempt, _random);
                }

                if (Stopwatch.GetElapsedTime(started) + delay > options.Timeout)
                {
                    throw new TimeoutException($"The transaction did not commit within {options.Timeout} ({attempt} attempts); the last attempt conflicted: {conflict.Message}", conflict);
                }

                await Task.Delay(delay, cancellationToken);
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
                    return await transactions.RunAsync(first, transactionOptions);
                }
                catch (RetryRequestedException firstRetry)
                {
                    try
                    {
                        return await transactions.RunAsync(second, transactionOptions);
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
        return RunAsync(
            async () =>
            {
                await body();
                return true;
            },
            options,
            cancellationToken);
    }
}
