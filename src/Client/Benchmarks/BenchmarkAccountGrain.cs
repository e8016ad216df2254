using Orleans.Concurrency;
using Orleans.Transactions.Abstractions;

namespace Roundabout.Client.Benchmarks;

/// <summary>
/// An account written exactly as for Orleans' own transactions (one <c>[TransactionalState]</c>
/// holding the balance), so the side-by-side runs the same grain code on both systems.
/// Roundabout's own <c>AccountGrain</c> keeps its balance in a commutative counter
/// instead, which Orleans cannot host; `bench bank` measures that one.
/// </summary>
public interface IBenchmarkAccountGrain : IGrainWithStringKey
{
    [Transaction(TransactionOption.CreateOrJoin)]
    Task Deposit(long amount);

    [Transaction(TransactionOption.CreateOrJoin)]
    Task Withdraw(long amount);

    [Transaction(TransactionOption.CreateOrJoin)]
    [ReadOnly]
    Task<long> GetBalance();
}

[GenerateSerializer]
public sealed class BenchmarkBalance
{
    [Id(0)]
    public long Value { get; set; }
}

[GrainType(BenchmarkGrainTypes.Account)]
public sealed class BenchmarkAccountGrain([TransactionalState("balance")] ITransactionalState<BenchmarkBalance> balance) : Grain, IBenchmarkAccountGrain
{
    public Task Deposit(long amount) => balance.PerformUpdate(b => b.Value += amount);

    public Task Withdraw(long amount) => balance.PerformUpdate(b =>
    {
        if (b.Value < amount)
        {
            throw new InvalidOperationException($"Account '{this.GetPrimaryKeyString()}' cannot pay {amount}.");
        }

        return b.Value -= amount;
    });

    public Task<long> GetBalance() => balance.PerformRead(b => b.Value);
}
