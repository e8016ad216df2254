using Microsoft.Extensions.Options;

namespace Roundabout.Transactions.Retries;

/// <summary>
/// Runs a grain call that starts a transaction (<c>[Transaction(Create)]</c>, or
/// <c>CreateOrJoin</c> outside a transaction) again when its transaction aborted on a conflict,
/// up to <see cref="RoundaboutTransactionOptions.RootConflictRetries"/> more times. Calls that join
/// a transaction pass straight through: their failure belongs to the transaction's root.
/// </summary>
/// <remarks>
/// Registered only when the option is set: any incoming filter puts every grain call of the silo
/// through Orleans' filter pipeline, which costs a few microseconds per call.
/// </remarks>
internal sealed class RootConflictRetryFilter(IOptions<RoundaboutTransactionOptions> options) : IIncomingGrainCallFilter
{
    public async Task Invoke(IIncomingGrainCallContext context)
    {
        if (context.Request is not TransactionRequestBase { IsTransactionRequired: true, TransactionInfo: null })
        {
            await context.Invoke();
            return;
        }

        var retries = options.Value.RootConflictRetries;
        for (var attempt = 0; ; attempt++)
        {
            Exception? failure;
            try
            {
                await context.Invoke();

                // Orleans' pipeline carries a transaction's failure inside its response, not as an
                // exception of the call (the caller's side throws it after reading the response).
                failure = (context.Response as TransactionResponse)?.GetException();
            }
            catch (Exception exception) when (attempt < retries && RootConflictRetry.IsRetryable(exception))
            {
                failure = exception; // the commit's own refusal comes out of the call
            }

            if (attempt >= retries || !RootConflictRetry.IsRetryable(failure))
            {
                return;
            }

            await RootConflictRetry.BackoffAsync(attempt);
        }
    }
}
