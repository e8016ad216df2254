using Orleans.Transactions.Abstractions;

namespace Roundabout.Accounts;

public sealed class AccountGrain([TransactionalState("account")] ITransactionalState<AccountState> account) : Grain, IAccountGrain
{
    private string Id => this.GetPrimaryKeyString();

    public Task Deposit(long amount)
    {
        Money.ValidateAmount(amount);
        return account.PerformUpdate(state =>
        {
            if (state.Balance > long.MaxValue - amount)
            {
                throw new ArgumentOutOfRangeException(nameof(amount), amount, $"Depositing {amount} would overflow the balance of account '{Id}'.");
            }

            state.Balance += amount;
            return state.Balance;
        });
    }

    public Task Withdraw(long amount)
    {
        Money.ValidateAmount(amount);
        return account.PerformUpdate(state =>
        {
            if (state.Balance - amount < -state.OverdraftLimit)
            {
                throw new InsufficientFundsException(Id, state.Balance, amount, state.OverdraftLimit);
            }

            state.Balance -= amount;
            return state.Balance;
        });
    }

    public Task<long> GetBalance() => account.PerformRead(state => state.Balance);

    public Task<AccountSnapshot> GetSnapshot() => account.PerformRead(state => new AccountSnapshot(state.Balance, state.OverdraftLimit));

    public Task SetOverdraftLimit(long limit)
    {
        if (limit is < 0 or > Money.MaxAmount)
        {
            throw new ArgumentOutOfRangeException(nameof(limit), limit, $"The overdraft limit must be between 0 and {Money.MaxAmount}.");
        }

        return account.PerformUpdate(state =>
        {
            if (state.Balance < -limit)
            {
                throw new InvalidOperationException($"Account '{Id}' is at {state.Balance}, below the requested limit of -{limit}.");
            }

            state.OverdraftLimit = limit;
            return limit;
        });
    }
}
