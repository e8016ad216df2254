using Orleans.Concurrency;
using Roundabout.Transactions.OneRound;

namespace Roundabout.Accounts;

/// <summary>
/// A bank account: a balance in integer minor units (cents) and an overdraft limit.
/// The key is the account id. Every method joins the caller's transaction or starts one.
/// </summary>
public interface IAccountGrain : IGrainWithStringKey
{
    /// <summary>Adds <paramref name="amount"/> (positive, at most <see cref="Money.MaxAmount"/>).</summary>
    [Transaction(TransactionOption.CreateOrJoin)]
    Task Deposit(long amount);

    /// <summary>Takes <paramref name="amount"/>; throws <see cref="InsufficientFundsException"/> past the overdraft limit.</summary>
    [Transaction(TransactionOption.CreateOrJoin)]
    Task Withdraw(long amount);

    [Transaction(TransactionOption.CreateOrJoin)]
    [ReadOnly]
    Task<long> GetBalance();

    /// <summary><see cref="Deposit(long)"/> as this account's part of a one-round transaction (see <c>IRoundaboutTransactions.RunOneRoundAsync</c>).</summary>
    [AlwaysInterleave]
    Task<PreparedPart> DepositInRound(OneRoundTicket round, long amount);

    /// <summary><see cref="Withdraw(long)"/> as this account's part of a one-round transaction (see <c>IRoundaboutTransactions.RunOneRoundAsync</c>).</summary>
    [AlwaysInterleave]
    Task<PreparedPart> WithdrawInRound(OneRoundTicket round, long amount);

    /// <summary>How far below zero the balance may go (0 = no overdraft).</summary>
    [Transaction(TransactionOption.CreateOrJoin)]
    Task SetOverdraftLimit(long limit);

    [Transaction(TransactionOption.CreateOrJoin)]
    [ReadOnly]
    Task<AccountSnapshot> GetSnapshot();
}

[GenerateSerializer, Immutable]
public sealed record AccountSnapshot([property: Id(0)] long Balance, [property: Id(1)] long OverdraftLimit);
