using Orleans.Transactions;
using Orleans.Transactions.Abstractions;
using Roundabout.State;
using Roundabout.Transactions.OneRound;

namespace Roundabout.Tests.TestGrains;

public sealed class TallyGrain([TransactionalState("tally")] ITransactionalState<TallyState> tally) : Grain, ITallyGrain
{
    private readonly TaskCompletionSource _readerHeld = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _heldReadersReleased = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static string? CurrentTransactionId => TransactionContext.GetTransactionInfo()?.Id;

    public Task<int> GetTotal() => tally.PerformRead(state => state.Total);

    public Task<TallyObservation> Add(int amount) => AddCore(amount);

    public Task<TallyObservation> AddInNewTransaction(int amount) => AddCore(amount);

    public Task<TallyObservation> AddJoined(int amount) => AddCore(amount);

    public Task AddOnesAtOnce(int times) => Task.WhenAll(Enumerable.Range(0, times).Select(_ => tally.PerformUpdate(state => state.Total += 1)));

    public Task<PreparedPart> AddInRoundCatchingRefusal(OneRoundTicket round, int amount) => this.RunOneRoundPart(round, () => AddCatchingRefusal(amount));

    public async Task<bool> AddCatchingRefusal(int amount)
    {
        try
        {
            await tally.PerformUpdate(state => state.Total += amount);
            return true;
        }
        catch (OrleansTransactionTransientFailureException)
        {
            return false;
        }
    }

    public async Task<TallyObservation> AddIfSupported(int amount)
    {
        if (CurrentTransactionId is null)
        {
            return new TallyObservation(-1, null);
        }

        return await AddCore(amount);
    }

    public Task ForwardJoined(string otherKey, int amount) => GrainFactory.GetGrain<ITallyGrain>(otherKey).AddJoined(amount);

    public Task<string?> NotAllowed() => Task.FromResult(CurrentTransactionId);

    public async Task<string?> SuppressedForward(string otherKey, int amount)
    {
        var seen = CurrentTransactionId;
        await GrainFactory.GetGrain<ITallyGrain>(otherKey).Add(amount);
        return seen;
    }

    public Task<int> SuppressedRead() => tally.PerformRead(state => state.Total);

    public async Task AddThenThrow(int amount)
    {
        await AddCore(amount);
        throw new TallyFailedException($"{this.GetPrimaryKeyString()} failed after adding {amount}");
    }

    public async Task AddThere(string otherKey, int amount) => await GrainFactory.GetGrain<ITallyGrain>(otherKey).AddJoined(amount);

    public async Task AddThereThenConflict(string otherKey, int amount)
    {
        var other = GrainFactory.GetGrain<ITallyGrain>(otherKey);
        await other.AddJoined(amount);
        await other.AddInNewTransaction(100);
    }

    public async Task AddHereAndThere(string otherKey, int amount, bool throwAfterwards)
    {
        await AddCore(amount);
        await GrainFactory.GetGrain<ITallyGrain>(otherKey).Add(amount);
        if (throwAfterwards)
        {
            throw new TallyFailedException($"{this.GetPrimaryKeyString()} failed after writing both");
        }
    }

    public Task FanOut(string[] keys, int amount, int failAt) =>
        Task.WhenAll(keys.Select((key, i) => i == failAt
            ? GrainFactory.GetGrain<ITallyGrain>(key).AddThenThrow(amount)
            : GrainFactory.GetGrain<ITallyGrain>(key).Add(amount)));

    public async Task<int> AddHalfWayThenRead(int amount)
    {
        try
        {
            await tally.PerformUpdate<int>(state =>
            {
                state.Total += amount;
                throw new TallyFailedException("half-way");
            });
        }
        catch (TallyFailedException)
        {
            // On purpose: the update must leave nothing behind.
        }

        return await tally.PerformRead(state => state.Total);
    }

    public Task<PreparedPart> AddInRound(OneRoundTicket round, int amount) => this.RunOneRoundPart(round, () => AddCore(amount));

    public Task<PreparedPart> AddInRoundThenThrow(OneRoundTicket round, int amount) => this.RunOneRoundPart(round, () => AddThenThrow(amount));

    public Task<PreparedPart> AddInRoundAndForward(OneRoundTicket round, string otherKey, int amount) =>
        this.RunOneRoundPart(round, async () =>
        {
            await AddCore(amount);
            await GrainFactory.GetGrain<ITallyGrain>(otherKey).Add(amount);
        });

    public Task<int> ReadOnlyButWrites(int amount) => tally.PerformUpdate(state => state.Total += amount);

    public Task HoldReadersWhoseWaitTimesOut()
    {
        Slot.AfterReaderWaitTimedOut = () =>
        {
            _readerHeld.TrySetResult();
            return _heldReadersReleased.Task;
        };
        return Task.CompletedTask;
    }

    public Task WaitForHeldReader() => _readerHeld.Task;

    public Task ReleaseHeldReaders()
    {
        Slot.AfterReaderWaitTimedOut = null;
        _heldReadersReleased.TrySetResult();
        return Task.CompletedTask;
    }

    private RoundaboutTransactionalState<TallyState> Slot => (RoundaboutTransactionalState<TallyState>)tally;

    private async Task<TallyObservation> AddCore(int amount)
    {
        var total = await tally.PerformUpdate(state =>
        {
            state.Writes++;
            return state.Total += amount;
        });
        return new TallyObservation(total, CurrentTransactionId);
    }
}
