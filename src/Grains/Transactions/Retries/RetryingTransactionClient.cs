using Microsoft.Extensions.Options;
using Orleans.Transactions;

namespace Roundabout.Transactions.Retries;

/// <summary>
/// Orleans' <see cref="ITransactionClient"/>, with <see cref="RoundaboutTransactionOptions.RootConflictRetries"/>:
/// a delegate whose transaction this call creates runs again when that transaction aborted on a
/// conflict. A delegate that joins an ambient transaction, or runs outside one, runs once.
/// </summary>
internal sealed class RetryingTransactionClient(ITransactionClient orleans, IOptions<RoundaboutTransactionOptions> options) : ITransactionClient
{
    /// <summary>The service key of Orleans' own client, without these retries (the native API's).</summary>
    public const string UnwrappedKey = "Roundabout.OrleansTransactionClient";

    public Task RunTransaction(TransactionOption transactionOption, Func<Task> transactionDelegate) =>
        RunTransaction(transactionOption, transactionDelegate, useExclusiveLock: false);

    public Task RunTransaction(TransactionOption transactionOption, Func<Task<bool>> transactionDelegate) =>
        RunTransaction(transactionOption, transactionDelegate, useExclusiveLock: false);

    public Task RunTransaction(TransactionOption transactionOption, Func<Task> transactionDelegate, bool useExclusiveLock) =>
        Run(transactionOption, () => orleans.RunTransaction(transactionOption, transactionDelegate, useExclusiveLock));

    public Task RunTransaction(TransactionOption transactionOption, Func<Task<bool>> transactionDelegate, bool useExclusiveLock) =>
        Run(transactionOption, () => orleans.RunTransaction(transactionOption, transactionDelegate, useExclusiveLock));

    private async Task Run(TransactionOption transactionOption, Func<Task> run)
    {
        var retries = options.Value.RootConflictRetries;
        var createsItsTransaction = transactionOption == TransactionOption.Create
            || (transactionOption == TransactionOption.CreateOrJoin && TransactionContext.GetTransactionInfo() is null);
        if (retries == 0 || !createsItsTransaction)
        {
            await run();
            return;
        }

        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await run();
                return;
            }
            catch (Exception exception) when (attempt < retries && RootConflictRetry.IsRetryable(exception))
            {
                await RootConflictRetry.BackoffAsync(attempt);
            }
        }
    }
}
