using Roundabout.Accounts;
using Roundabout.Client.Library;
using Roundabout.Records;
using Roundabout.State;
using Roundabout.Tests.Infrastructure;
using Roundabout.Transactions;
using Roundabout.Transactions.OneRound;

namespace Roundabout.Tests.Cluster;

/// <summary>
/// A deactivating grain finishes the calls it is running before it goes, and runs none of those
/// queued for it meanwhile. A call that waits inside it (a read for a prepared write's outcome, an
/// <see cref="Stm.Retry"/> watch) must stop waiting when the deactivation starts: it held the
/// deactivation, and every call queued behind it, until the wait's own time-out (here two minutes
/// for prepared writes, 20 s for a watch). The waiter then runs again at the next activation.
/// </summary>
public sealed class DeactivationWaitTests : IAsyncLifetime
{
    private static readonly TimeSpan Prompt = TimeSpan.FromSeconds(10);
    private RoundaboutCluster _cluster = null!;
    private HoldingRecordStore _store = null!;

    public async Task InitializeAsync() =>
        _cluster = await RoundaboutCluster.StartAsync(
            silos: 1,
            configure: options => options.PreparedResolutionTimeout = TimeSpan.FromMinutes(2),
            wrapStore: inner => _store = new HoldingRecordStore(inner));

    public async Task DisposeAsync()
    {
        _store.Release();
        await _cluster.DisposeAsync();
    }

    private IGrainFactory Grains => _cluster.Grains;

    [Fact]
    public async Task RecordRead_WaitingForAPreparedWrite_DoesNotHoldItsGrainsDeactivation()
    {
        var (x, z) = (Grains.GetGrain<IRecordGrain>(Keys.New("rec")), Grains.GetGrain<IRecordGrain>(Keys.New("rec")));
        await x.Put([1]);
        await z.Put([1]);
        var prepared = await HoldPreparedAsync(round => [x.PutInRound(round, [3]), z.PutInRound(round, [3])]);

        var read = x.Get();
        await AssertWaitingInAsync(_cluster, x, read);
        await _cluster.Cluster.DeactivateAsync(x).WaitAsync(Prompt);

        // A plain grain call is a transaction of its own, and hears that it may run again.
        var conflict = await Assert.ThrowsAsync<TransactionConflictException>(() => read.WaitAsync(Prompt));
        Assert.Contains("started deactivating while this transaction waited for the outcome of a write prepared", conflict.Message, StringComparison.Ordinal);
        _store.Release();
        await prepared.WaitAsync(Prompt);
        Assert.Equal(3, (await x.Get()).Value![0]);
    }

    /// <summary>
    /// A migration is a deactivation too. Two silos of their own, so that the grain has somewhere to
    /// go; the migration is the runtime's, as a grain's own <c>MigrateOnIdle</c> asks for it (one
    /// asked for by a call from outside queues behind the waiting read: see DeactivationSignal).
    /// </summary>
    [Fact]
    public async Task RecordRead_WaitingForAPreparedWrite_DoesNotHoldItsGrainsMigration()
    {
        HoldingRecordStore store = null!;
        await using var cluster = await RoundaboutCluster.StartAsync(
            silos: 2,
            configure: options => options.PreparedResolutionTimeout = TimeSpan.FromMinutes(2),
            wrapStore: inner => store = new HoldingRecordStore(inner));
        try
        {
            var (x, z) = (cluster.Grains.GetGrain<IRecordGrain>(Keys.New("rec")), cluster.Grains.GetGrain<IRecordGrain>(Keys.New("rec")));
            await x.Put([1]);
            await z.Put([1]);
            store.HoldWrites = DecisionWrites.HasCommit;
            var prepared = cluster.Transactions.RunOneRoundAsync(round => [x.PutInRound(round, [3]), z.PutInRound(round, [3])]);
            await store.FirstHeld.WaitAsync(Prompt);

            var read = x.Get();
            await AssertWaitingInAsync(cluster, x, read);
            Assert.True(cluster.Cluster.TryGetGrainContext(x.GetGrainId(), out var activation), "the record has no activation");
            var gone = activation.Deactivated;
            activation.Migrate(requestContext: null);
            await gone.WaitAsync(Prompt);

            await Assert.ThrowsAsync<TransactionConflictException>(() => read.WaitAsync(Prompt));
            store.Release();
            await prepared.WaitAsync(Prompt);
            Assert.Equal(3, (await x.Get()).Value![0]);
        }
        finally
        {
            store.Release();
        }
    }

    [Fact]
    public async Task BalanceRead_WaitingForAPreparedTransfer_DoesNotHoldItsGrainsDeactivation()
    {
        var (a, b) = (Grains.GetGrain<IAccountGrain>(Keys.New("acct")), Grains.GetGrain<IAccountGrain>(Keys.New("acct")));
        await a.Deposit(100);
        var prepared = await HoldPreparedAsync(round => [a.WithdrawInRound(round, 30), b.DepositInRound(round, 30)]);

        // Through the client, which runs a read that may run again once more: at the next activation,
        // where it waits for the transfer's outcome again.
        var read = new RoundaboutClient(Grains, _cluster.Transactions).GetBalanceAsync(b.GetPrimaryKeyString());
        await AssertWaitingInAsync(_cluster, b, read);
        await _cluster.Cluster.DeactivateAsync(b).WaitAsync(Prompt);
        await AssertWaitingInAsync(_cluster, b, read);

        _store.Release();
        await prepared.WaitAsync(Prompt);
        Assert.Equal(30, await read.WaitAsync(Prompt));
        Assert.Equal(70, await a.GetBalance());
    }

    [Fact]
    public async Task RetryWatch_DoesNotHoldItsGrainsDeactivation_AndWatchesAgainAtTheNextActivation()
    {
        var client = new RoundaboutClient(Grains, _cluster.Transactions);
        var account = Keys.New("acct");
        var grain = Grains.GetGrain<IAccountGrain>(account);
        var attempts = 0;
        var withdrawal = client.Runner.RunAsync(async () =>
        {
            Interlocked.Increment(ref attempts);
            if (await grain.GetBalance() < 50)
            {
                Stm.Retry();
            }

            await grain.Withdraw(50);
        }, new RunOptions { Timeout = TimeSpan.FromMinutes(1) });

        await AssertWaitingInAsync(_cluster, grain, withdrawal);
        await _cluster.Cluster.DeactivateAsync(grain).WaitAsync(Prompt);
        await AssertWaitingInAsync(_cluster, grain, withdrawal); // nothing changed: it waits again, at the next activation
        var attemptsBeforeDeposit = Volatile.Read(ref attempts);

        await client.DepositAsync(account, 60);
        await withdrawal.WaitAsync(Prompt);

        Assert.Equal(10, await client.GetBalanceAsync(account));
        Assert.InRange(attemptsBeforeDeposit, 2, 3); // woken once by the deactivation, not spinning
    }

    /// <summary>The same for a watch on a transactional state (a record) rather than a counter.</summary>
    [Fact]
    public async Task RetryWatchOnARecord_DoesNotHoldItsGrainsDeactivation_AndWatchesAgainAtTheNextActivation()
    {
        var client = new RoundaboutClient(Grains, _cluster.Transactions);
        var record = Grains.GetGrain<IRecordGrain>(Keys.New("rec"));
        await record.Put([1]);
        var attempts = 0;
        var waiting = client.Runner.RunAsync(async () =>
        {
            Interlocked.Increment(ref attempts);
            if ((await record.Get()).Value![0] < 5)
            {
                Stm.Retry();
            }
        }, new RunOptions { Timeout = TimeSpan.FromMinutes(1) });

        await AssertWaitingInAsync(_cluster, record, waiting);
        await _cluster.Cluster.DeactivateAsync(record).WaitAsync(Prompt);
        await AssertWaitingInAsync(_cluster, record, waiting);
        var attemptsBeforeThePut = Volatile.Read(ref attempts);

        await record.Put([5]);
        await waiting.WaitAsync(Prompt);

        Assert.InRange(attemptsBeforeThePut, 2, 3);
    }

    /// <summary>Starts a one-round transaction and holds it prepared: its Commit is not recorded until the store is released.</summary>
    private async Task<Task> HoldPreparedAsync(Func<OneRoundTicket, IReadOnlyCollection<Task<PreparedPart>>> parts)
    {
        _store.HoldWrites = DecisionWrites.HasCommit;
        var transaction = _cluster.Transactions.RunOneRoundAsync(parts);
        await _store.FirstHeld.WaitAsync(Prompt);
        return transaction;
    }

    /// <summary>
    /// Until a call waits in <paramref name="grain"/>'s current activation (a read for an outcome,
    /// or a watch), then that <paramref name="waiter"/> is still waiting: deactivating before the
    /// wait began would test nothing, since the call would simply go to the next activation.
    /// </summary>
    private static async Task AssertWaitingInAsync(RoundaboutCluster cluster, IAddressable grain, Task waiter)
    {
        var deadline = DateTime.UtcNow + Prompt;
        while (!(cluster.Cluster.TryGetGrainContext(grain.GetGrainId(), out var activation) && DeactivationSignal.GetOrCreate(activation).Waiting > 0))
        {
            Assert.False(waiter.IsCompleted, $"it did not wait: {waiter.Status} {waiter.Exception?.InnerException?.Message}");
            Assert.True(DateTime.UtcNow < deadline, "no call began to wait in the grain");
            await Task.Delay(10);
        }

        Assert.False(waiter.IsCompleted, $"it did not wait: {waiter.Status} {waiter.Exception?.InnerException?.Message}");
    }
}
