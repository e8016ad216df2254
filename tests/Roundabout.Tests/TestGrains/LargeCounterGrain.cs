using Orleans.Concurrency;
using Orleans.Transactions;
using Roundabout.State;

namespace Roundabout.Tests.TestGrains;

/// <summary>A bare transactional counter with no bounds of its own: additions near the ends of a long.</summary>
public interface ILargeCounterGrain : IGrainWithStringKey
{
    /// <summary>True if added; false if the addition would leave the range of a long.</summary>
    [Transaction(TransactionOption.CreateOrJoin)]
    Task<bool> TryAdd(long delta);

    /// <summary>True if added; false if the addition would take the value below <paramref name="floor"/> or above <paramref name="ceiling"/>.</summary>
    [Transaction(TransactionOption.CreateOrJoin)]
    Task<bool> TryAddWithin(long delta, long floor, long ceiling);

    [Transaction(TransactionOption.CreateOrJoin)]
    [ReadOnly]
    Task<long> Read();

    /// <summary>Not transactional and touches nothing: activates the grain, so that its counter loads its record.</summary>
    Task Ping();

    /// <summary>Adds in a transaction of its own, even when called from inside another.</summary>
    [Transaction(TransactionOption.Create)]
    Task AddInNewTransaction(long delta);

    /// <summary>Reads, and if the counter fails (a snapshot it no longer keeps, say) catches the exception and returns null instead.</summary>
    [Transaction(TransactionOption.Join)]
    Task<long?> ReadCatchingFailure();

    /// <summary>Adds, and if the counter fails catches the exception and returns false instead.</summary>
    [Transaction(TransactionOption.Join)]
    Task<bool> TryAddCatchingFailure(long delta);
}

public sealed class LargeCounterGrain([TransactionalCounter("value")] ITransactionalCounter counter) : Grain, ILargeCounterGrain
{
    public async Task<bool> TryAdd(long delta) => (await counter.TryAdd(delta)).Added;

    public async Task<bool> TryAddWithin(long delta, long floor, long ceiling) => (await counter.TryAdd(delta, floor, ceiling)).Added;

    public Task<long> Read() => counter.Read();

    public Task Ping() => Task.CompletedTask;

    public Task AddInNewTransaction(long delta) => counter.TryAdd(delta);

    public async Task<long?> ReadCatchingFailure()
    {
        try
        {
            return await counter.Read();
        }
        catch (OrleansTransactionException)
        {
            return null;
        }
    }

    public async Task<bool> TryAddCatchingFailure(long delta)
    {
        try
        {
            return (await counter.TryAdd(delta)).Added;
        }
        catch (OrleansTransactionException)
        {
            return false;
        }
    }
}
