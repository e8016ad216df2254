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
