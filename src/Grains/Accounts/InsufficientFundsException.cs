namespace Roundabout.Accounts;

/// <summary>A withdrawal would take the balance below the account's overdraft limit. Nothing was changed.</summary>
[GenerateSerializer]
public sealed class InsufficientFundsException : Exception
{
    public InsufficientFundsException(string accountId, long balance, long amount, long overdraftLimit)
        : base($"Account '{accountId}' has {balance} and an overdraft limit of {overdraftLimit}; it cannot pay {amount}.")
    {
        AccountId = accountId;
        Balance = balance;
        Amount = amount;
        OverdraftLimit = overdraftLimit;
    }

    /// <summary>
    /// A refusal recorded by an idempotent transfer before receipts kept its details: only its
    /// message is known (<see cref="AccountId"/> is empty).
    /// </summary>
    public InsufficientFundsException(string message)
        : base(message)
    {
        AccountId = "";
    }

    [Id(0)]
    public string AccountId { get; }

    [Id(1)]
    public long Balance { get; }

    [Id(2)]
    public long Amount { get; }

    [Id(3)]
    public long OverdraftLimit { get; }
}
