using System.Runtime.ExceptionServices;
using Microsoft.Extensions.Options;
using Orleans.Transactions;
using Roundabout.Hosting;

namespace Roundabout.Transactions;

internal sealed class RoundaboutTransactions(ITransactionClient transactionClient, GrainReferences references, IOptions<RoundaboutTransactionOptions> agentOptions) : IRoundaboutTransactions
{
    public async Task<T> RunAsync<T>(Func<Task<T>> body, TransactionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(body);
        T result = default!;
        await RunAsync(async () => { result = await body(); }, options);
        return result;
    }

    public async Task RunAsync(Func<Task> body, TransactionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(body);
        options ??= new TransactionOptions();
        var isolation = options.Isolation ?? agentOptions.Value.DefaultIsolation;
        if (!Enum.IsDefined(isolation))
        {
            throw new ArgumentOutOfRangeException(nameof(options), isolation, "Unknown isolation level.");
        }

        // Set inside this async method, so the choice does not leak into the caller's flow.
        TransactionRequestScope.Set(new TransactionRequest(isolation, options.ReadOnly));
        RetryRequestedException? retry = null;
        try
        {
            await transactionClient.RunTransaction(TransactionOption.Create, async () =>
            {
                // The choices were for this transaction only, not for transactions that the body starts.
                TransactionRequestScope.Clear();
                try
                {
                    await body();
                }
                catch (Exception exception) when (IsRetryRequest(exception))
                {
                    retry = CaptureReadSet();
                    throw;
                }
            });
        }
        catch (Exception) when (retry is not null)
        {
            // The attempt aborted (nothing took effect); the caller decides whether to wait and rerun.
            throw retry;
        }
        catch (OrleansTransactionAbortedException aborted) when (ApplicationCause(aborted) is { } cause)
        {
            // The body failed: show the caller its own exception (a domain or argument error),
            // not the generic "transaction aborted" wrapper that Orleans puts around it.
            ExceptionDispatchInfo.Throw(cause);
        }
    }

    public async Task<bool> WaitForChangeAsync(RetryRequestedException retry, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(retry);
        if (retry.ReadSet.Count == 0)
        {
            // It read nothing, so nothing can change what it will see: waiting would be forever.
            throw new InvalidOperationException("Stm.Retry was called by a transaction that read nothing; it would wait forever.");
        }

        var waits = retry.ReadSet.Select(participant => references.Cast<Protocol.ITransactionParticipantExtension>(participant.Reference.GetGrainId())
            .WaitForCommitAfter(participant.Name, retry.ReadTimestamp, timeout)).ToList();
        while (waits.Count > 0)
        {
            var finished = await Task.WhenAny(waits);
            if (await finished)
            {
                return true;
            }

            waits.Remove(finished);
        }

        return false;
    }

    private static bool IsRetryRequest(Exception exception)
    {
        for (Exception? current = exception; current is not null; current = current.InnerException)
        {
            if (current is RetryTransactionException)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Every state the transaction touched so far, and its snapshot, from the root's transaction info.</summary>
    private static RetryRequestedException CaptureReadSet()
    {
        var info = TransactionContext.GetRequiredTransactionInfo();
        info.ReconcilePending();
        return new RetryRequestedException([.. info.Participants.Keys], TransactionStamp.Of(info).ReadTimestamp);
    }

    /// <summary>
    /// What made the body fail, when Orleans wrapped it in its generic "aborted" exception: an
    /// application exception, or a nested transaction's own outcome (a conflict, or an in-doubt
    /// outcome that must not be reported as a plain abort).
    /// </summary>
    internal static Exception? ApplicationCause(Exception exception)
    {
        var current = exception;
        while (current.GetType() == typeof(OrleansTransactionAbortedException) && current.InnerException is { } inner)
        {
            current = inner;
        }

        return ReferenceEquals(current, exception) ? null : current;
    }
}
