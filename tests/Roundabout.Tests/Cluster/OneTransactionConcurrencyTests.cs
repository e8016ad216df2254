using Orleans.TestingHost;
using Orleans.Serialization;
using Roundabout.State;
using Roundabout.Storage;
using Roundabout.Tests.Infrastructure;
using Roundabout.Tests.TestGrains;
using Roundabout.Transactions;

namespace Roundabout.Tests.Cluster;

/// <summary>
/// What a grain does with its transactional state inside one transaction is all committed or all
/// aborted, as with Orleans' own transactions (both found by a review that ran the same grains on
/// both): updates of one state that run at once in one transaction all count, and a state
/// operation that failed aborts the transaction even when the grain catches the exception.
/// </summary>
public sealed class OneTransactionConcurrencyTests() : WrappedStoreClusterTest<HoldingRecordStore>(inner => new HoldingRecordStore(inner))
{
    private static readonly TimeSpan Prompt = TimeSpan.FromSeconds(30);

    protected override void BeforeStop() => Store.Release();

    /// <summary>
    /// Each update waited for another transaction's prepared write, then applied itself to the
    /// snapshot's value: the last one overwrote the others, and the transaction committed 1 of 10.
    /// </summary>
    [Fact]
    public async Task UpdatesOfOneStateAtOnce_AfterWaitingForAPreparedWrite_AllCount()
    {
        var (x, y) = (Cluster.Grains.GetGrain<ITallyGrain>(Keys.New("tally")), Cluster.Grains.GetGrain<ITallyGrain>(Keys.New("tally")));

        // The first transaction prepares +100 at x and y; its Commit decision waits at the store.
        Store.HoldWrites = DecisionWrites.HasCommit;
        var first = Cluster.TransactionClient.RunTransaction(TransactionOption.Create, async () =>
        {
            await x.Add(100);
            await y.Add(100);
        });
        await Store.FirstHeld.WaitAsync(Prompt);

        // The second's ten updates of x, at once, each wait for the first's outcome.
        var second = Cluster.TransactionClient.RunTransaction(TransactionOption.Create, () => x.AddOnesAtOnce(10));
        await Task.Delay(500);
        Store.Release();
        await first.WaitAsync(Prompt);
        await second.WaitAsync(Prompt);

        Assert.Equal(110, await x.GetTotal());
    }

    /// <summary>
    /// The state refused the update (a newer version than the transaction's snapshot) and the grain
    /// caught the refusal: the transaction committed its other writes without this one.
    /// </summary>
    [Fact]
    public async Task StateRefusesAnUpdate_TheGrainCatchesIt_TheTransactionStillAborts()
    {
        var (x, y) = (Cluster.Grains.GetGrain<ITallyGrain>(Keys.New("tally")), Cluster.Grains.GetGrain<ITallyGrain>(Keys.New("tally")));

        var attempt = Cluster.TransactionClient.RunTransaction(TransactionOption.Create, async () =>
        {
            await y.AddJoined(1);

            // An independent transaction commits at x after this one's snapshot...
            await x.AddInNewTransaction(5);

            // ...so this update is refused, and the grain swallows the refusal (and returns false).
            await x.AddCatchingRefusal(5);
        });

        // Orleans raises the recorded refusal at the caller when the call returns, and aborts.
        var aborted = await Assert.ThrowsAsync<TransactionConflictException>(() => attempt);
        Assert.Contains("was committed after this transaction's snapshot", aborted.Message, StringComparison.Ordinal);
        Assert.Equal(5, await x.GetTotal());
        Assert.Equal(0, await y.GetTotal());
    }

    /// <summary>The same in a one-round part: the part must fail, and the other parts must not commit.</summary>
    [Fact]
    public async Task OneRoundPartSwallowsARefusedUpdate_TheTransactionStillAborts()
    {
        var (x, y) = (Cluster.Grains.GetGrain<ITallyGrain>(Keys.New("tally")), Cluster.Grains.GetGrain<ITallyGrain>(Keys.New("tally")));
        await x.Add(0);

        // Each attempt's ticket is taken before the parts run; a commit at x in between (made here,
        // by the test, not by a grain) puts a version above the part's snapshot, so its update is refused.
        var attempts = 0;
        var refused = await Assert.ThrowsAsync<TransactionConflictException>(() => Cluster.Transactions.RunOneRoundAsync(round =>
        {
            attempts++;
            Cluster.TransactionClient.RunTransaction(TransactionOption.Create, () => x.Add(5)).GetAwaiter().GetResult();
            return [x.AddInRoundCatchingRefusal(round, 100), y.AddInRound(round, 1)];
        }));

        Assert.Contains("was committed after this transaction's snapshot", refused.Message, StringComparison.Ordinal);
        Assert.Equal(attempts * 5, await x.GetTotal());
        Assert.Equal(0, await y.GetTotal());
    }

    /// <summary>
    /// The same for a counter: its read or addition failed (here: a snapshot it no longer keeps)
    /// and the grain caught the exception, yet the transaction must not commit its other writes.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task CounterFails_TheGrainCatchesIt_TheTransactionStillAborts(bool adding)
    {
        var counterKey = Keys.New("counter");
        var (x, y) = (Cluster.Grains.GetGrain<ILargeCounterGrain>(counterKey), Cluster.Grains.GetGrain<ITallyGrain>(Keys.New("tally")));
        await x.AddInNewTransaction(1);

        var attempt = Cluster.TransactionClient.RunTransaction(TransactionOption.Create, async () =>
        {
            await y.AddJoined(1);

            // An independent transaction commits at x after this one's snapshot, and x's next
            // activation has only that newest version...
            await x.AddInNewTransaction(5);
            await DeactivateWithoutHandingOverAsync(x, counterKey);

            // ...so the counter cannot serve this snapshot, and the grain swallows the failure.
            _ = adding ? await x.TryAddCatchingFailure(5) : await x.ReadCatchingFailure() is null;
        });

        // Orleans raises the recorded failure at the caller when the call returns, and aborts.
        var aborted = await Assert.ThrowsAsync<SnapshotTooOldException>(() => attempt);
        Assert.Contains("no longer keeps the value", aborted.Message, StringComparison.Ordinal);
        Assert.Equal(6, await x.Read());
        Assert.Equal(0, await y.GetTotal());
    }

    /// <summary>
    /// Deactivates the counter and takes from its record the older versions it stored there, as a
    /// crash of its silo would have lost them: its next activation has the newest version only.
    /// </summary>
    private async Task DeactivateWithoutHandingOverAsync(ILargeCounterGrain counter, string counterKey)
    {
        await Cluster.Cluster.DeactivateAsync(counter);
        var slotKey = Cluster.Store.KeysWithPrefix("roundabout/counter/").Single(key => key.Contains(counterKey, StringComparison.Ordinal));
        var serializer = ((InProcessSiloHandle)Cluster.Cluster.Silos[0]).ServiceProvider.GetRequiredService<Serializer<DurableCounterSlot>>();
        var record = await Cluster.Store.ReadAsync(slotKey) ?? throw new InvalidOperationException($"{slotKey} is not stored.");
        var slot = serializer.Deserialize(record.Value) ?? throw new InvalidOperationException($"{slotKey} is empty.");
        Assert.NotNull(slot.History); // the snapshot below still needed them
        slot.History = null;
        await Cluster.Store.WriteAsync([RecordWrite.Put(slotKey, serializer.SerializeToArray(slot), record.ETag)]);
    }
}
