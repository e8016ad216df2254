using Orleans.Transactions;
using Roundabout.Tests.Infrastructure;
using Roundabout.Tests.TestGrains;
using Roundabout.Transactions;

namespace Roundabout.Tests.Cluster;

/// <summary>
/// With <see cref="RoundaboutTransactionOptions.RootConflictRetries"/> set, transactions started
/// through Orleans' programming model run again when they abort on a conflict, so an application
/// written for Orleans' locks keeps working under contention: concurrent read-modify-writes of one
/// state all commit. The retries are bounded, and only conflicts are retried.
/// </summary>
public sealed class RootConflictRetryTests : IAsyncLifetime
{
    private const int Retries = 10;
    private const int Concurrent = 8;

    private RoundaboutCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await RoundaboutCluster.StartAsync(configure: options => options.RootConflictRetries = Retries);

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task GrainCallsThatStartTransactions_ConcurrentOnOneState_AllCommit()
    {
        // Each transaction starts at a grain of its own (calls to one grain would take turns) and
        // writes the same tally.
        var shared = Keys.New("tally");

        await Task.WhenAll(Enumerable.Range(0, Concurrent).Select(_ => Tally().AddThere(shared, 1)));

        Assert.Equal(Concurrent, await _cluster.Grains.GetGrain<ITallyGrain>(shared).GetTotal());
    }

    [Fact]
    public async Task ClientTransactions_ConcurrentOnOneState_AllCommit()
    {
        var tally = Tally();

        await Task.WhenAll(Enumerable.Range(0, Concurrent).Select(_ => _cluster.TransactionClient.RunTransaction(TransactionOption.Create, async () =>
        {
            var total = await tally.GetTotal();
            await tally.AddJoined(total >= 0 ? 1 : 0);
        })));

        Assert.Equal(Concurrent, await tally.GetTotal());
    }

    [Fact]
    public async Task GrainCallThatAlwaysConflicts_RunsOncePlusTheRetries_ThenTheConflictSurfaces()
    {
        var (root, other) = (Tally(), Keys.New("tally"));

        await Assert.ThrowsAnyAsync<OrleansTransactionTransientFailureException>(() => root.AddThereThenConflict(other, 5));

        // Each run committed its own 100 and lost its 5.
        Assert.Equal(100 * (1 + Retries), await _cluster.Grains.GetGrain<ITallyGrain>(other).GetTotal());
    }

    [Fact]
    public async Task ClientTransactionThatAlwaysConflicts_RunsOncePlusTheRetries_ThenTheConflictSurfaces()
    {
        var tally = Tally();
        var runs = 0;

        await Assert.ThrowsAsync<TransactionConflictException>(() => _cluster.TransactionClient.RunTransaction(TransactionOption.Create, async () =>
        {
            Interlocked.Increment(ref runs);
            await tally.AddJoined(5);
            await tally.AddInNewTransaction(100);
        }));

        Assert.Equal(1 + Retries, runs);
        Assert.Equal(100 * (1 + Retries), await tally.GetTotal());
    }

    /// <summary>
    /// The native API is not Orleans' programming model: its caller (the client's TransactionRunner
    /// and its RetryPolicy) decides about retries, and this option must not multiply them.
    /// </summary>
    [Fact]
    public async Task NativeRunAsyncThatConflicts_RunsOnce_ItsCallerDecidesAboutRetries()
    {
        var tally = Tally();
        var runs = 0;

        await Assert.ThrowsAsync<TransactionConflictException>(() => _cluster.Transactions.RunAsync(async () =>
        {
            Interlocked.Increment(ref runs);
            await tally.AddJoined(5);
            await tally.AddInNewTransaction(100);
        }));

        Assert.Equal(1, runs);
        Assert.Equal(100, await tally.GetTotal());
    }

    [Fact]
    public async Task ApplicationException_IsNotRetried()
    {
        var tally = Tally();
        var runs = 0;

        await Assert.ThrowsAnyAsync<Exception>(() => _cluster.TransactionClient.RunTransaction(TransactionOption.Create, async () =>
        {
            Interlocked.Increment(ref runs);
            await tally.AddThenThrow(5);
        }));

        Assert.Equal(1, runs);
        Assert.Equal(0, await tally.GetTotal());
    }

    [Fact]
    public async Task DelegateRunOutsideATransaction_IsNotRetried_TheTransactionsItStartsAre()
    {
        var (root, other) = (Tally(), Keys.New("tally"));
        var runs = 0;

        // Suppress: the delegate is no transaction, so running it again would repeat whatever it did
        // around the transaction it starts; that transaction is retried by itself.
        await Assert.ThrowsAnyAsync<OrleansTransactionTransientFailureException>(() => _cluster.TransactionClient.RunTransaction(TransactionOption.Suppress, async () =>
        {
            Interlocked.Increment(ref runs);
            await root.AddThereThenConflict(other, 5);
        }));

        Assert.Equal(1, runs);
        Assert.Equal(100 * (1 + Retries), await _cluster.Grains.GetGrain<ITallyGrain>(other).GetTotal());
    }

    private ITallyGrain Tally() => _cluster.Grains.GetGrain<ITallyGrain>(Keys.New("tally"));
}
