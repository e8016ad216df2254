using Orleans.Concurrency;

namespace Roundabout.Accounts;

/// <summary>
/// What became of the transfer with one idempotency key. Written in the same transaction as
/// the transfer itself, so "the receipt exists" and "the money moved" are one fact.
/// </summary>
public interface ITransferReceiptGrain : IGrainWithStringKey
{
    [Transaction(TransactionOption.CreateOrJoin)]
    [ReadOnly]
    Task<TransferReceipt> Get();

    /// <summary>Records the outcome unless one is recorded already; returns the outcome that holds.</summary>
    [Transaction(TransactionOption.CreateOrJoin)]
    Task<TransferReceipt> Record(TransferReceipt receipt);
}

public enum TransferStatus
{
    /// <summary>No transfer with this key took effect (yet).</summary>
    None,

    Succeeded,

    /// <summary>The transfer was refused for a reason that retrying the same transfer cannot change (insufficient funds).</summary>
    Refused,
}

[GenerateSerializer, Immutable]
public sealed record TransferReceipt(
    [property: Id(0)] TransferStatus Status,
    [property: Id(1)] string From,
    [property: Id(2)] string To,
    [property: Id(3)] long Amount,
    [property: Id(4)] string? Refusal = null,
    [property: Id(5)] TransferRefusal? RefusalDetails = null)
{
    public static TransferReceipt None { get; } = new(TransferStatus.None, "", "", 0);

    public bool Matches(string from, string to, long amount) => From == from && To == to && Amount == amount;
}

/// <summary>What a refused transfer was judged on: enough to rethrow the same <see cref="InsufficientFundsException"/> on a replay.</summary>
[GenerateSerializer, Immutable]
public sealed record TransferRefusal(
    [property: Id(0)] string AccountId,
    [property: Id(1)] long Balance,
    [property: Id(2)] long Amount,
    [property: Id(3)] long OverdraftLimit)
{
    public static TransferRefusal Of(InsufficientFundsException refused)
    {
        ArgumentNullException.ThrowIfNull(refused);
        return new(refused.AccountId, refused.Balance, refused.Amount, refused.OverdraftLimit);
    }

    public InsufficientFundsException ToException() => new(AccountId, Balance, Amount, OverdraftLimit);
}

[GenerateSerializer]
public sealed class TransferReceiptState
{
    [Id(0)]
    public TransferReceipt Receipt { get; set; } = TransferReceipt.None;
}
