using Orleans.Concurrency;
using Roundabout.Hosting;
using Roundabout.Transactions;

namespace Roundabout.Accounts;

// Stateless and reentrant: a worker awaits whole transactions, so without reentrancy each of the
// (one per core) workers would carry a single transfer at a time.
[StatelessWorker]
[Reentrant]
[GrainType(Hosting.RoundaboutGrainTypes.Bank)]
internal sealed class BankGrain(IRoundaboutTransactions transactions, GrainReferences references) : Grain, IBankGrain
{
    public Task Transfer(string from, string to, long amount, IsolationLevel? isolation = null)
    {
        Money.ValidateTransfer(from, to, amount);
        var source = references.Get<IAccountGrain>(from);
        var target = references.Get<IAccountGrain>(to);
        // One round: each account withdraws or deposits and prepares in the same call.
        return transactions.RunOneRoundAsync(
            round => [source.WithdrawInRound(round, amount), target.DepositInRound(round, amount)],
            new TransactionOptions(isolation));
    }

    public async Task<TransferOutcome> TransferOnce(string idempotencyKey, string from, string to, long amount, IsolationLevel? isolation = null)
    {
        GrainKeys.Validate(idempotencyKey, nameof(idempotencyKey));
        Money.ValidateTransfer(from, to, amount);
        var receipt = references.Get<ITransferReceiptGrain>(idempotencyKey);
        var source = references.Get<IAccountGrain>(from);
        var target = references.Get<IAccountGrain>(to);
        TransferReceipt outcome;
        bool appliedNow;
        try
        {
            // The receipt is written in the transfer's own transaction: two calls with one key
            // conflict on it, and the one that retries finds the receipt.
            (outcome, appliedNow) = await transactions.RunAsync(
                async () =>
                {
                    var recorded = await receipt.Get();
                    if (recorded.Status != TransferStatus.None)
                    {
                        return (recorded, false);
                    }

                    var succeeded = new TransferReceipt(TransferStatus.Succeeded, from, to, amount);
                    await Task.WhenAll(source.Withdraw(amount), target.Deposit(amount), receipt.Record(succeeded));
                    return (succeeded, true);
                },
                new TransactionOptions(isolation));
        }
        catch (InsufficientFundsException refused)
        {
            // Refusals are outcomes too: record it (unless a concurrent call with the key succeeded first).
            outcome = await transactions.RunAsync(() => receipt.Record(
                new TransferReceipt(TransferStatus.Refused, from, to, amount, refused.Message, TransferRefusal.Of(refused))));
            appliedNow = false;
        }

        if (!outcome.Matches(from, to, amount))
        {
            throw new DuplicateTransferKeyException(idempotencyKey, outcome);
        }

        if (outcome.Status == TransferStatus.Refused)
        {
            // The first call and every replay throw the refusal the account gave, details and all;
            // a receipt recorded before the details were kept has only the message.
            throw outcome.RefusalDetails?.ToException()
                ?? new InsufficientFundsException(outcome.Refusal ?? $"The transfer with key '{idempotencyKey}' was refused for insufficient funds.");
        }

        return appliedNow ? TransferOutcome.Applied : TransferOutcome.AlreadyApplied;
    }

    public Task<long> Audit(string[] accounts)
    {
        Money.ValidateAuditedAccounts(accounts, nameof(accounts));

        return transactions.RunAsync(
            async () =>
            {
                var balances = await Task.WhenAll(accounts.Select(id => references.Get<IAccountGrain>(id).GetBalance()));
                try
                {
                    return balances.Sum();
                }
                catch (OverflowException)
                {
                    throw new InvalidOperationException(
                        $"The {accounts.Length} accounts hold {balances.Aggregate(Int128.Zero, (sum, balance) => sum + balance):N0} in all, more than the {long.MaxValue:N0} an audit can add up in 64 bits; audit fewer accounts at a time.");
                }
            },
            TransactionOptions.ReadOnlySnapshot);
    }
}
