using Orleans.Concurrency;
using Orleans.Transactions.Abstractions;

namespace Roundabout.Tests.TestGrains;

/// <summary>A grain whose own transactional method (which starts the transaction) starts its deactivation or migration, or waits.</summary>
public interface ISelfResolvingGrain : IGrainWithStringKey
{
    [Transaction(TransactionOption.CreateOrJoin)]
    Task<int> WriteThenDeactivate(int value);

    [Transaction(TransactionOption.CreateOrJoin)]
    Task<int> WriteThenMigrate(int value);

    /// <summary>Writes, then waits <paramref name="delayMs"/> before returning (so that something outside can start a deactivation meanwhile).</summary>
    [Transaction(TransactionOption.CreateOrJoin)]
    Task<int> WriteThenWait(int value, int delayMs);

    [Transaction(TransactionOption.CreateOrJoin)]
    Task<int> Write(int value);

    [Transaction(TransactionOption.CreateOrJoin)]
    [ReadOnly]
    Task<int> Get();
}

[GenerateSerializer]
public sealed class SelfResolvingState
{
    [Id(0)]
    public int Value { get; set; }
}

public sealed class SelfResolvingGrain([TransactionalState("v")] ITransactionalState<SelfResolvingState> state) : Grain, ISelfResolvingGrain
{
    public async Task<int> WriteThenDeactivate(int value)
    {
        var written = await state.PerformUpdate(s => s.Value = value);
        this.DeactivateOnIdle();
        return written;
    }

    public async Task<int> WriteThenMigrate(int value)
    {
        var written = await state.PerformUpdate(s => s.Value = value);
        this.MigrateOnIdle();
        return written;
    }

    public async Task<int> WriteThenWait(int value, int delayMs)
    {
        var written = await state.PerformUpdate(s => s.Value = value);
        await Task.Delay(delayMs);
        return written;
    }

    public Task<int> Write(int value) => state.PerformUpdate(s => s.Value = value);

    public Task<int> Get() => state.PerformRead(s => s.Value);
}
