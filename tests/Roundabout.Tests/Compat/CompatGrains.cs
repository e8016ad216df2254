using Orleans.Concurrency;
using Orleans.Transactions;
using Orleans.Transactions.Abstractions;

namespace Roundabout.Tests.Compat;

[GenerateSerializer]
public sealed class CompatInner
{
    [Id(0)] public int Value { get; set; }
    [Id(1)] public List<int> Items { get; set; } = [];
}

[GenerateSerializer]
public sealed class CompatState
{
    [Id(0)] public int Value { get; set; }
    [Id(1)] public CompatInner Nested { get; set; } = new();
    [Id(2)] public Dictionary<string, string> Tags { get; set; } = [];
}

[GenerateSerializer]
public sealed class CompatFailure : Exception
{
    public CompatFailure(string message) : base(message) { }
}

public interface ICompatGrain : IGrainWithStringKey
{
    [Transaction(TransactionOption.CreateOrJoin), ReadOnly] Task<int> Get();
    [Transaction(TransactionOption.CreateOrJoin), ReadOnly] Task<int> GetSecond();
    [Transaction(TransactionOption.CreateOrJoin), ReadOnly] Task<CompatState> GetState();
    [Transaction(TransactionOption.CreateOrJoin)] Task Set(int value);
    [Transaction(TransactionOption.CreateOrJoin)] Task<int> Add(int delta);
    [Transaction(TransactionOption.Create)] Task<int> AddInNew(int delta);
    [Transaction(TransactionOption.Join)] Task<int> AddJoin(int delta);
    [Transaction(TransactionOption.Supported)] Task<string?> SupportedTxId();
    [Transaction(TransactionOption.Supported)] Task<int> SupportedAdd(int delta);
    [Transaction(TransactionOption.NotAllowed)] Task<string?> NotAllowedTxId();
    [Transaction(TransactionOption.Suppress)] Task<string?> SuppressedTxId();
    [Transaction(TransactionOption.CreateOrJoin)] Task AddThenThrow(int delta);
    [Transaction(TransactionOption.CreateOrJoin)] Task ThrowInsideUpdate(int delta);
    [Transaction(TransactionOption.CreateOrJoin)] Task AddMainThenSecondThrows(int delta);
    [Transaction(TransactionOption.CreateOrJoin)] Task<bool> AddMainThenSecondThrowsCaught(int delta);
    [Transaction(TransactionOption.CreateOrJoin)] Task AddBoth(int delta);
    [Transaction(TransactionOption.CreateOrJoin)] Task<int> MutateReadResultThenRead();
    [Transaction(TransactionOption.CreateOrJoin)] Task<int> MutateUpdateResultThenRead();
    [Transaction(TransactionOption.CreateOrJoin)] Task AddItem(int item);
    [Transaction(TransactionOption.CreateOrJoin)] Task<int> WriteReadWriteRead(int delta);
    // Calls target's [Create] method, then writes target in this (outer) transaction.
    // Calls target's [Create] method, then reads target in this (outer) transaction.
    // Calls target's [Suppress] forwarding method that makes target commit on its own, then adds.
    [Transaction(TransactionOption.CreateOrJoin)] Task<int> FanOut(string[] keys, int delta);
    Task Deactivate();
}

public sealed class CompatGrain(
    [TransactionalState("main")] ITransactionalState<CompatState> main,
    [TransactionalState("second")] ITransactionalState<CompatState> second) : Grain, ICompatGrain
{
    private static string? TxId => TransactionContext.GetTransactionInfo()?.Id;

    public Task<int> Get() => main.PerformRead(s => s.Value);
    public Task<int> GetSecond() => second.PerformRead(s => s.Value);
    public Task<CompatState> GetState() => main.PerformRead(s => s);
    public Task Set(int value) => main.PerformUpdate(s => s.Value = value);
    public Task<int> Add(int delta) => main.PerformUpdate(s => s.Value += delta);
    public Task<int> AddInNew(int delta) => Add(delta);
    public Task<int> AddJoin(int delta) => Add(delta);
    public Task<string?> SupportedTxId() => Task.FromResult(TxId);
    public async Task<int> SupportedAdd(int delta) => TxId is null ? -1 : await Add(delta);
    public Task<string?> NotAllowedTxId() => Task.FromResult(TxId);
    public Task<string?> SuppressedTxId() => Task.FromResult(TxId);

    public async Task AddThenThrow(int delta)
    {
        await Add(delta);
        throw new CompatFailure("after add");
    }

    public Task ThrowInsideUpdate(int delta) => main.PerformUpdate(s =>
    {
        s.Value += delta;
        throw new CompatFailure("inside update");
#pragma warning disable CS0162
        return 0;
#pragma warning restore CS0162
    });

    public async Task AddMainThenSecondThrows(int delta)
    {
        await main.PerformUpdate(s => s.Value += delta);
        await second.PerformUpdate<int>(s => { s.Value += delta; throw new CompatFailure("second"); });
    }

    public async Task<bool> AddMainThenSecondThrowsCaught(int delta)
    {
        await main.PerformUpdate(s => s.Value += delta);
        try
        {
            await second.PerformUpdate<int>(s => throw new CompatFailure("second"));
            return false;
        }
        catch (CompatFailure)
        {
            return true;
        }
    }

    public async Task AddBoth(int delta)
    {
        await main.PerformUpdate(s => s.Value += delta);
        await second.PerformUpdate(s => s.Value += delta);
    }

    public async Task<int> MutateReadResultThenRead()
    {
        var state = await main.PerformRead(s => s);
        state.Value = 999;
        state.Nested.Items.Add(999);
        var nested = await main.PerformRead(s => s.Nested);
        nested.Value = 777;
        return await main.PerformRead(s => s.Value * 1000 + s.Nested.Items.Count + s.Nested.Value);
    }

    public async Task<int> MutateUpdateResultThenRead()
    {
        var nested = await main.PerformUpdate(s => { s.Value += 1; return s.Nested; });
        nested.Items.Add(5);
        nested.Value = 5;
        return await main.PerformRead(s => s.Value * 1000 + s.Nested.Items.Count + s.Nested.Value);
    }

    public Task AddItem(int item) => main.PerformUpdate(s => { s.Nested.Items.Add(item); s.Tags[$"k{item}"] = $"v{item}"; return 0; });

    public async Task<int> WriteReadWriteRead(int delta)
    {
        await main.PerformUpdate(s => s.Value += delta);
        var a = await main.PerformRead(s => s.Value);
        await main.PerformUpdate(s => s.Value = a * 2);
        return await main.PerformRead(s => s.Value);
    }

    public async Task<int> FanOut(string[] keys, int delta)
    {
        var results = await Task.WhenAll(keys.Select(k => GrainFactory.GetGrain<ICompatGrain>(k).Add(delta)));
        return results.Sum();
    }

    public Task Deactivate()
    {
        DeactivateOnIdle();
        return Task.CompletedTask;
    }
}

public interface IReentrantCompatGrain : IGrainWithStringKey
{
    // Adds here, calls other which calls back AddHere on this grain, then reads and adds again.
    [Transaction(TransactionOption.CreateOrJoin)] Task<int> PingPong(string otherKey, int delta);
    [Transaction(TransactionOption.Join)] Task<int> CallBack(string originKey, int delta);
    [Transaction(TransactionOption.Join)] Task<int> AddHere(int delta);
    [Transaction(TransactionOption.CreateOrJoin), ReadOnly] Task<int> Get();
}

[Reentrant]
public sealed class ReentrantCompatGrain([TransactionalState("reentrant")] ITransactionalState<CompatState> state) : Grain, IReentrantCompatGrain
{
    public async Task<int> PingPong(string otherKey, int delta)
    {
        await state.PerformUpdate(s => s.Value += delta);
        var seenByCallback = await GrainFactory.GetGrain<IReentrantCompatGrain>(otherKey).CallBack(this.GetPrimaryKeyString(), delta);
        var now = await state.PerformRead(s => s.Value);
        await state.PerformUpdate(s => s.Value += delta);
        return seenByCallback * 1000 + now;
    }

    public async Task<int> CallBack(string originKey, int delta)
    {
        await state.PerformUpdate(s => s.Value += delta);
        return await GrainFactory.GetGrain<IReentrantCompatGrain>(originKey).AddHere(delta);
    }

    public Task<int> AddHere(int delta) => state.PerformUpdate(s => s.Value += delta);

    public Task<int> Get() => state.PerformRead(s => s.Value);
}
