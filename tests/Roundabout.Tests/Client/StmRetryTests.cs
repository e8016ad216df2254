using System.Diagnostics;
using Orleans.Transactions;
using Roundabout.Accounts;
using Roundabout.Client.Library;
using Roundabout.Tests.Infrastructure;
using Roundabout.Tests.TestGrains;
using Roundabout.Transactions;

namespace Roundabout.Tests.Client;

[Collection(ClusterCollection.Name)]
public sealed class StmRetryTests(ClusterFixture fixture)
{
    private RoundaboutClient Client => new(fixture.Cluster.Grains, fixture.Cluster.Transactions);

    /// <summary>The transaction most tests here run: wait (<see cref="Stm.Retry"/>) until the account holds 50, then withdraw it.</summary>
    private static Func<Task> WithdrawFiftyOnceCovered(IAccountGrain grain) => async () =>
    {
        if (await grain.GetBalance() < 50)
        {
            Stm.Retry();
        }

        await grain.Withdraw(50);
    };

    /// <summary>A change wait that is still waiting after half a second, and answers "changed" once the account is paid into.</summary>
    private static async Task WakesOnlyOnTheDepositAsync(Task<bool> wait, RoundaboutClient client, string account)
    {
        await Task.Delay(500);
        Assert.False(wait.IsCompleted, $"the wait ended before anything changed: {wait.Status} {wait.Exception?.InnerException?.Message}");
        await client.DepositAsync(account, 60);
        Assert.True(await wait.WaitAsync(TimeSpan.FromSeconds(15)));
    }

    [Fact]
    public async Task Retry_UntilTheBalanceCoversTheWithdrawal_WaitsThenWithdraws()
    {
        var client = Client;
        var account = Keys.New("acct");
        var grain = client.Grains.GetGrain<IAccountGrain>(account);
        var attempts = 0;

        var withdrawal = client.Runner.RunAsync(async () =>
        {
            Interlocked.Increment(ref attempts);
            await WithdrawFiftyOnceCovered(grain)();
        }, new RunOptions { Timeout = TimeSpan.FromSeconds(20) });

        await Task.Delay(300);
        Assert.False(withdrawal.IsCompleted, "the withdrawal did not wait for the money");
        await client.DepositAsync(account, 30);
        await Task.Delay(300);
        Assert.False(withdrawal.IsCompleted, "30 does not cover 50, yet the withdrawal stopped waiting");
        await client.DepositAsync(account, 30);
        await withdrawal.WaitAsync(TimeSpan.FromSeconds(15));

        Assert.Equal(10, await client.GetBalanceAsync(account));
        Assert.InRange(attempts, 2, 10); // woken by changes, not spinning
    }

    /// <summary>
    /// A transaction committer is a participant with nothing to read: waiting on it failed the
    /// whole wait at once, so the run never waited for the balance.
    /// </summary>
    [Fact]
    public async Task Retry_AfterTakingACommitOperation_WaitsForTheStateItRead()
    {
        var client = Client;
        var account = Keys.New("acct");
        var grain = client.Grains.GetGrain<IAccountGrain>(account);
        var committer = client.Grains.GetGrain<ICommitterGrain>(Keys.New("committer"));
        var attempts = 0;

        var withdrawal = client.Runner.RunAsync(async () =>
        {
            Interlocked.Increment(ref attempts);
            await committer.Pay(new Payment(Keys.New("payment"), 1));
            await WithdrawFiftyOnceCovered(grain)();
        }, new RunOptions { Timeout = TimeSpan.FromSeconds(20) });

        await Task.Delay(500);
        Assert.False(withdrawal.IsCompleted, $"the run did not wait for the money: {withdrawal.Exception?.InnerException?.Message}");
        await client.DepositAsync(account, 60);
        await withdrawal.WaitAsync(TimeSpan.FromSeconds(15));

        Assert.Equal(10, await client.GetBalanceAsync(account));
        Assert.InRange(attempts, 2, 5); // woken by the deposit, not spinning
    }

    /// <summary>A participant that cannot be watched (here a committer, which holds nothing) does not end the wait on the others.</summary>
    [Fact]
    public async Task WaitForChange_OneParticipantCannotBeWatched_StillWakesOnAChangeOfAnother()
    {
        var client = Client;
        var account = Keys.New("acct");
        var grain = client.Grains.GetGrain<IAccountGrain>(account);
        var retry = await Assert.ThrowsAsync<RetryRequestedException>(() => fixture.Cluster.Transactions.RunAsync(WithdrawFiftyOnceCovered(grain)));
        var committer = new ParticipantId("payments", (GrainReference)client.Grains.GetGrain<ICommitterGrain>(Keys.New("committer")), ParticipantId.Role.Resource | ParticipantId.Role.PriorityManager);

        var wait = fixture.Cluster.Transactions.WaitForChangeAsync(new RetryRequestedException([committer, .. retry.ReadSet], retry.ReadTimestamp), TimeSpan.FromSeconds(20));

        await WakesOnlyOnTheDepositAsync(wait, client, account);
    }

    /// <summary>A committer holds no value: it is not among what a retrying transaction read, so a body that touched only a committer read nothing.</summary>
    [Fact]
    public async Task Retry_AfterOnlyTakingACommitOperation_HasReadNothing()
    {
        var committer = fixture.Cluster.Grains.GetGrain<ICommitterGrain>(Keys.New("committer"));

        var retry = await Assert.ThrowsAsync<RetryRequestedException>(() => fixture.Cluster.Transactions.RunAsync(async () =>
        {
            await committer.Pay(new Payment(Keys.New("payment"), 1));
            Stm.Retry();
        }));

        Assert.Empty(retry.ReadSet);
    }

    [Fact]
    public async Task WaitForChange_NoTimeLimit_WaitsUntilTheChange()
    {
        var client = Client;
        var account = Keys.New("acct");
        var retry = await Assert.ThrowsAsync<RetryRequestedException>(() => fixture.Cluster.Transactions.RunAsync(WithdrawFiftyOnceCovered(client.Grains.GetGrain<IAccountGrain>(account))));

        var wait = fixture.Cluster.Transactions.WaitForChangeAsync(retry, Timeout.InfiniteTimeSpan);

        await WakesOnlyOnTheDepositAsync(wait, client, account);
    }

    [Fact]
    public async Task WaitForChange_ATimeoutNotAboveZero_IsRefused()
    {
        var retry = new RetryRequestedException([], readTimestamp: 1);

        var error = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => fixture.Cluster.Transactions.WaitForChangeAsync(retry, TimeSpan.Zero));

        Assert.Equal("timeout", error.ParamName);
    }

    [Fact]
    public async Task Retry_NothingChanges_TimesOutAndChangesNothing()
    {
        var client = Client;
        var account = Keys.New("acct");
        var grain = client.Grains.GetGrain<IAccountGrain>(account);

        var error = await Assert.ThrowsAsync<TimeoutException>(() => client.Runner.RunAsync(WithdrawFiftyOnceCovered(grain), new RunOptions { Timeout = TimeSpan.FromMilliseconds(500) }));

        Assert.Contains("Stm.Retry", error.Message);
        Assert.Equal(0, await client.GetBalanceAsync(account));
    }

    [Fact]
    public async Task Retry_TimeoutLongerThanOneGrainWait_KeepsWaitingUntilTheChange()
    {
        // The grains give up a wait after 20 s; here after 200 ms, so that a 10 s run outlives many of them.
        var transactions = new CappedWaitTransactions(fixture.Cluster.Transactions, TimeSpan.FromMilliseconds(200));
        var client = new RoundaboutClient(fixture.Cluster.Grains, transactions);
        var account = Keys.New("acct");
        var grain = client.Grains.GetGrain<IAccountGrain>(account);

        var withdrawal = client.Runner.RunAsync(WithdrawFiftyOnceCovered(grain), new RunOptions { Timeout = TimeSpan.FromSeconds(10) });

        await Task.Delay(1_000);
        Assert.False(withdrawal.IsCompleted, "the run stopped waiting when one wait call ended, long before its time-out");
        await client.DepositAsync(account, 60);
        await withdrawal.WaitAsync(TimeSpan.FromSeconds(8));

        Assert.Equal(10, await client.GetBalanceAsync(account));
        Assert.True(transactions.Waits >= 3, $"{transactions.Waits} wait calls: the run should have called again after each capped wait");
    }

    [Fact]
    public async Task Retry_NothingChangesWithCappedWaits_TimesOutAtTheRunsTimeout()
    {
        var transactions = new CappedWaitTransactions(fixture.Cluster.Transactions, TimeSpan.FromMilliseconds(200));
        var client = new RoundaboutClient(fixture.Cluster.Grains, transactions);
        var grain = client.Grains.GetGrain<IAccountGrain>(Keys.New("acct"));
        var started = Stopwatch.GetTimestamp();

        await Assert.ThrowsAsync<TimeoutException>(() => client.Runner.RunAsync(WithdrawFiftyOnceCovered(grain), new RunOptions { Timeout = TimeSpan.FromMilliseconds(900) }));

        Assert.InRange(Stopwatch.GetElapsedTime(started), TimeSpan.FromMilliseconds(850), TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Retry_Cancelled_StopsWaitingWithOperationCanceled()
    {
        var client = Client;
        var account = Keys.New("acct");
        var grain = client.Grains.GetGrain<IAccountGrain>(account);
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        var started = Stopwatch.GetTimestamp();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.Runner.RunAsync(WithdrawFiftyOnceCovered(grain), new RunOptions { Timeout = TimeSpan.FromSeconds(5) }, cancellation.Token));

        Assert.InRange(Stopwatch.GetElapsedTime(started), TimeSpan.Zero, TimeSpan.FromSeconds(3));
        Assert.Equal(0, await client.GetBalanceAsync(account));
    }

    [Fact]
    public async Task Retry_InfiniteTimeout_WaitsForTheChange()
    {
        var client = Client;
        var account = Keys.New("acct");
        var grain = client.Grains.GetGrain<IAccountGrain>(account);

        var withdrawal = client.Runner.RunAsync(WithdrawFiftyOnceCovered(grain), new RunOptions { Timeout = Timeout.InfiniteTimeSpan });

        await Task.Delay(300);
        Assert.False(withdrawal.IsCompleted, "the withdrawal did not wait for the money");
        await client.DepositAsync(account, 60);
        await withdrawal.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(10, await client.GetBalanceAsync(account));
    }

    [Fact]
    public async Task OrElse_FirstRetries_RunsTheSecond()
    {
        var client = Client;
        var (empty, funded) = (Keys.New("acct"), Keys.New("acct"));
        await client.DepositAsync(funded, 100);

        var source = await client.Runner.OrElseAsync(
            () => WithdrawIfCoveredAsync(client, empty, 40),
            () => WithdrawIfCoveredAsync(client, funded, 40));

        Assert.Equal(funded, source);
        Assert.Equal(60, await client.GetBalanceAsync(funded));
        Assert.Equal(0, await client.GetBalanceAsync(empty));
    }

    [Fact]
    public async Task OrElse_BothRetry_WaitsForAChangeToEither()
    {
        var client = Client;
        var (a, b) = (Keys.New("acct"), Keys.New("acct"));

        var pick = client.Runner.OrElseAsync(
            () => WithdrawIfCoveredAsync(client, a, 40),
            () => WithdrawIfCoveredAsync(client, b, 40),
            new RunOptions { Timeout = TimeSpan.FromSeconds(20) });
        await Task.Delay(300);
        Assert.False(pick.IsCompleted);
        await client.DepositAsync(b, 100);

        Assert.Equal(b, await pick.WaitAsync(TimeSpan.FromSeconds(15)));
        Assert.Equal(60, await client.GetBalanceAsync(b));
    }

    private static async Task<string> WithdrawIfCoveredAsync(RoundaboutClient client, string account, long amount)
    {
        var grain = client.Grains.GetGrain<IAccountGrain>(account);
        if (await grain.GetBalance() < amount)
        {
            Stm.Retry();
        }

        await grain.Withdraw(amount);
        return account;
    }
}
