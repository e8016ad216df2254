using System.Runtime.ExceptionServices;
using Microsoft.Extensions.Options;
using Orleans.Transactions;

namespace Roundabout.Transactions;

internal sealed class RoundaboutTransactions(ITransactionClient transactionClient, IOptions<RoundaboutTransactionOptions> agentOptions) : IRoundaboutTransactions
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
        try
        {
            await transactionClient.RunTransaction(TransactionOption.Create, async () =>
            {
                // The choices were for this transaction only, not for transactions that the body starts.
                TransactionRequestScope.Clear();
                await body();
            });
        }
        catch (OrleansTransactionAbortedException aborted) when (ApplicationCause(aborted) is { } cause)
        {
            // The body failed: show the caller its own exception (a domain or argument error),
            // not the generic "transaction aborted" wrapper that Orleans puts around it.
            ExceptionDispatchInfo.Throw(cause);
        }
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
