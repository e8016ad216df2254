using Orleans.Transactions.Abstractions;
using Roundabout.State;
using Roundabout.Transactions.OneRound;

namespace Roundabout.Accounts;

/// <summary>
/// The balance is a commutative counter: deposits and withdrawals on one account do not conflict
/// with each other (a hot account stays fast); the overdraft floor is kept by escrow at commit.
/// Reading the balance is an ordinary, validated read.
/// </summary>
[GrainType(Hosting.RoundaboutGrainTypes.Account)]
internal sealed class AccountGrain(
    [TransactionalCounter("balance")] ITransactionalCounter balance,
    [TransactionalState("settings")] ITransactionalState<AccountSettings> settings) : Grain, IAccountGrain
{
    private string Id => this.GetPrimaryKeyString();

    /// <summary>
    /// An account under an id that the bank's own calls refuse (too long, blank, unpaired
    /// surrogates) could hold money that no transfer, balance or audit can name: refused here too,
    /// for callers that reach the grain directly.
    /// </summary>
    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        GrainKeys.Validate(Id, "accountId");
        return Task.CompletedTask;
    }

    public async Task Deposit(long amount)
    {
        Money.ValidateAmount(amount);
        var result = await balance.TryAdd(amount);
        if (!result.Added)
        {
            throw new ArgumentOutOfRangeException(nameof(amount), amount, $"Depositing {amount} would overflow the balance of account '{Id}'.");
        }
    }

    public async Task Withdraw(long amount)
    {
        Money.ValidateAmount(amount);
        var limit = await settings.PerformRead(s => s.OverdraftLimit);
        var result = await balance.TryAdd(-amount, floor: -limit);
        if (!result.Added)
        {
            // A refusal always carries the snapshot value it was judged on.
            var seen = result.SnapshotValue ?? throw new InvalidOperationException($"Account '{Id}': a refused withdrawal reported no balance.");
            throw new InsufficientFundsException(Id, seen, amount, limit);
        }
    }

    public Task<PreparedPart> DepositInRound(OneRoundTicket round, long amount) => this.RunOneRoundPart(round, () => Deposit(amount));

    public Task<PreparedPart> WithdrawInRound(OneRoundTicket round, long amount) => this.RunOneRoundPart(round, () => Withdraw(amount));

    public Task<long> GetBalance() => balance.Read();

    public async Task<AccountSnapshot> GetSnapshot() =>
        new(await balance.Read(), await settings.PerformRead(s => s.OverdraftLimit));

    public async Task SetOverdraftLimit(long limit)
    {
        if (limit is < 0 or > Money.MaxAmount)
        {
            throw new ArgumentOutOfRangeException(nameof(limit), limit, $"The overdraft limit must be between 0 and {Money.MaxAmount}.");
        }

        var current = await balance.Read();
        if (current < -limit)
        {
            throw new InvalidOperationException($"Account '{Id}' is at {current}, below the requested limit of -{limit}.");
        }

        await settings.PerformUpdate(s => s.OverdraftLimit = limit);
    }
}
