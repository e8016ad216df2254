using Roundabout.Accounts;
using Roundabout.Client.Library;
using Roundabout.Tests.Infrastructure;
using Roundabout.Tests.TestGrains;
using Roundabout.Transactions;

namespace Roundabout.Tests.Cluster;

/// <summary>
/// Account balances are commutative counters with an escrow floor: concurrent withdrawals and
/// deposits on one account do not conflict with each other, yet the floor holds in every history.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class CounterEscrowTests(ClusterFixture fixture)
{
    private RoundaboutClient Client => new(fixture.Cluster.Grains, fixture.Cluster.Transactions);

    [Fact]
    public async Task Withdraw_ManyConcurrentlyFromOneAccount_ExactlyTheFundedOnesSucceed()
    {
        var client = Client;
        var account = Keys.New("escrow");
        await client.DepositAsync(account, 100);

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 30).Select(async _ =>
        {
            try
            {
                await client.Runner.RunAsync(() => client.Grains.GetGrain<IAccountGrain>(account).Withdraw(10), new RunOptions { Retry = RetryPolicy.Default with { MaxAttempts = 200 } });
                return true;
            }
            catch (InsufficientFundsException)
            {
                return false;
            }
        }));

        Assert.Equal(10, outcomes.Count(ok => ok));
        Assert.Equal(0, await client.GetBalanceAsync(account));
    }

    /// <summary>
    /// Concurrent additions that fit one at a time but not together, near the top of a long: the
    /// escrow check once summed the pending ones in a long, which wrapped round and let them all
    /// prepare; the commit then overflowed, the callers heard "in doubt" and the grain stopped
    /// answering. Now the ones that do not fit are refused and the rest commit.
    /// </summary>
    [Fact]
    public async Task TryAdd_ConcurrentAdditionsThatOverflowTogether_RefusedCleanlyAndTheGrainStaysUsable()
    {
        var counter = fixture.Cluster.Grains.GetGrain<ILargeCounterGrain>(Keys.New("large"));
        const long Addition = 4_000_000_000_000_000_000;

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 3).Select(async _ =>
        {
            try
            {
                return await Client.Runner.RunAsync(() => counter.TryAdd(Addition), new RunOptions { Retry = RetryPolicy.Default with { MaxAttempts = 50 } });
            }
            catch (Exception exception)
            {
                return (object)exception;
            }
        }));

        var added = outcomes.Count(outcome => outcome is true);
        Assert.All(outcomes, outcome => Assert.True(outcome is bool, $"an addition ended in {outcome}"));
        Assert.Equal(2, added); // 3 would overflow; each refusal saw at least two others pending or committed
        var value = await counter.Read().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(added * Addition, value);
    }

    /// <summary>
    /// An addition far past its bound, near the ends of a long: the bound minus the addition
    /// wrapped around, so the addition looked allowed, and its prepare then refused it as a
    /// conflict (which a runner retries for nothing). It is a plain refusal.
    /// </summary>
    [Theory]
    [InlineData(5, long.MinValue, 0, long.MaxValue)]
    [InlineData(-5, long.MaxValue, long.MinValue, -10)]
    public async Task TryAdd_FarPastItsBoundNearTheEndsOfALong_IsRefusedNotAConflict(long start, long delta, long floor, long ceiling)
    {
        var counter = fixture.Cluster.Grains.GetGrain<ILargeCounterGrain>(Keys.New("large"));
        Assert.True(await counter.TryAdd(start));

        Assert.False(await counter.TryAddWithin(delta, floor, ceiling));

        Assert.Equal(start, await counter.Read());
    }

    [Fact]
    public async Task Transfers_OneHotAccountBothWays_NeverBelowTheFloorAndTheTotalHolds()
    {
        var client = Client;
        var hot = Keys.New("escrow-hot");
        var others = Enumerable.Range(0, 8).Select(_ => Keys.New("escrow-cold")).ToArray();
        await client.DepositAsync(hot, 50);
        foreach (var other in others)
        {
            await client.DepositAsync(other, 50);
        }

        var lowest = long.MaxValue;
        using var stop = new CancellationTokenSource();
        var watcher = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var seen = await client.Runner.RunAsync(() => client.Grains.GetGrain<IAccountGrain>(hot).GetBalance(), new RunOptions { ReadOnly = true });
                lowest = Math.Min(lowest, seen);
            }
        });
        var random = new Random(7);
        var committed = 0;
        await Task.WhenAll(Enumerable.Range(0, 200).Select(async i =>
        {
            var other = others[i % others.Length];
            var (from, to) = i % 2 == 0 ? (hot, other) : (other, hot);
            try
            {
                await client.TransferAsync(from, to, 1 + (i % 5), options: new RunOptions { Retry = RetryPolicy.Default with { MaxAttempts = 200 } });
                Interlocked.Increment(ref committed);
            }
            catch (InsufficientFundsException)
            {
            }
        }));
        await stop.CancelAsync();
        await watcher;

        var balances = await Task.WhenAll(others.Append(hot).Select(account => client.GetBalanceAsync(account)));
        Assert.All(balances, balance => Assert.True(balance >= 0, $"a balance went to {balance}"));
        Assert.True(lowest >= 0, $"a snapshot saw the hot balance at {lowest}");
        Assert.Equal(50 * (others.Length + 1), balances.Sum());
        Assert.True(committed > 100, $"only {committed} transfers committed");
    }

    [Fact]
    public async Task Deposit_ReadInTheSameTransactionAfterAConcurrentDeposit_SerializableRefusesTheStaleRead()
    {
        var client = Client;
        var account = Keys.New("escrow-read");
        var grain = client.Grains.GetGrain<IAccountGrain>(account);
        await client.DepositAsync(account, 100);
        var read = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var proceed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        // T1 reads the balance and then deposits: its read must still be true at its commit.
        var t1 = fixture.Cluster.Transactions.RunAsync(async () =>
        {
            var seen = await grain.GetBalance();
            read.SetResult();
            await proceed.Task;
            await grain.Deposit(seen / 10);
        });
        await read.Task;
        await client.DepositAsync(account, 5, new RunOptions { Retry = RetryPolicy.None });
        proceed.SetResult();

        await Assert.ThrowsAsync<TransactionConflictException>(() => t1);
        Assert.Equal(105, await client.GetBalanceAsync(account));
    }
}
