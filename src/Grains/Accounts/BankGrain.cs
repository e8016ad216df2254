using Orleans.Concurrency;
using Roundabout.Transactions;

namespace Roundabout.Accounts;

[StatelessWorker]
public sealed class BankGrain(IRoundaboutTransactions transactions) : Grain, IBankGrain
{
    public Task Transfer(string from, string to, long amount, IsolationLevel? isolation = null)
    {
        Money.ValidateKey(from, nameof(from));
        Money.ValidateKey(to, nameof(to));
        Money.ValidateAmount(amount);
        if (string.Equals(from, to, StringComparison.Ordinal))
        {
            throw new ArgumentException($"A transfer needs two different accounts; both are '{from}'.", nameof(to));
        }

        var source = GrainFactory.GetGrain<IAccountGrain>(from);
        var target = GrainFactory.GetGrain<IAccountGrain>(to);
        return transactions.RunAsync(
            () => Task.WhenAll(source.Withdraw(amount), target.Deposit(amount)),
            new TransactionOptions(isolation));
    }

    public Task<long> Audit(string[] accounts)
    {
        ArgumentNullException.ThrowIfNull(accounts);
        foreach (var account in accounts)
        {
            Money.ValidateKey(account, nameof(accounts));
        }

        return transactions.RunAsync(
            async () =>
            {
                var balances = await Task.WhenAll(accounts.Select(id => GrainFactory.GetGrain<IAccountGrain>(id).GetBalance()));
                return balances.Sum();
            },
            TransactionOptions.ReadOnlySnapshot);
    }
}
