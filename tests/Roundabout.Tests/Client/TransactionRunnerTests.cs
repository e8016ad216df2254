using Roundabout.Accounts;
using Roundabout.Client.Library;
using Roundabout.Tests.Infrastructure;
using Roundabout.Transactions;

namespace Roundabout.Tests.Client;

[Collection(ClusterCollection.Name)]
public sealed class TransactionRunnerTests(ClusterFixture fixture)
{
    private RoundaboutClient Client => new(fixture.Cluster.Grains, fixture.Cluster.Transactions);

    [Fact]
    public async Task RunAsync_HotRecordUnderConcurrency_RetriesEveryConflictToSuccess()
    {
        var client = Client;
        var hot = Keys.New("hot");
        await client.PutAsync(hot, [0]);

        await Task.WhenAll(Enumerable.Range(0, 40).Select(i => client.PutAsync(hot, [(byte)i], new RunOptions { Retry = RetryPolicy.Default with { MaxAttempts = 1_000 } })));

        Assert.Equal(41, (await client.GetAsync(hot)).Version);
        Assert.True(client.Runner.Retries > 0, "the concurrent writes never conflicted, so the test proved nothing about retries");
    }

    /// <summary>
    /// A helper called from a body would commit a transaction of its own, which the body's abort
    /// could not undo (found by a user trial: money moved though the body threw). It is refused
    /// before it does anything.
    /// </summary>
    [Fact]
    public async Task Helpers_CalledInsideATransactionBody_AreRefusedAndChangeNothing()
    {
        var client = Client;
        var (alice, bob, record) = (Keys.New("alice"), Keys.New("bob"), Keys.New("rec"));
        await client.DepositAsync(alice, 100);

        var calls = new Func<Task>[]
        {
            () => client.TransferAsync(alice, bob, 7),
            () => client.DepositAsync(alice, 3),
            () => client.PutAsync(record, [1]),
            () => client.GetBalanceAsync(alice),
            () => client.Runner.RunAsync(() => client.Grains.GetGrain<IAccountGrain>(alice).Withdraw(5)),
            // The native API underneath, and its one-round form (a review found the first committing after the body threw).
            () => fixture.Cluster.Transactions.RunAsync(() => client.Grains.GetGrain<IAccountGrain>(bob).Deposit(9)),
            () => fixture.Cluster.Transactions.RunOneRoundAsync(round => [client.Grains.GetGrain<IAccountGrain>(bob).DepositInRound(round, 9)]),
        };
        foreach (var call in calls)
        {
            var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => client.Runner.RunAsync(async () =>
            {
                await call();
                return 0;
            }));
            Assert.Contains("inside transaction", refused.Message, StringComparison.Ordinal);
        }

        Assert.Equal(100, await client.GetBalanceAsync(alice));
        Assert.Equal(0, await client.GetBalanceAsync(bob));
        Assert.Equal(0, (await client.GetAsync(record)).Version);
    }

    [Fact]
    public async Task RunAsync_NoRetries_SurfacesTheConflict()
    {
        var client = Client;
        var hot = Keys.New("hot");
        await client.PutAsync(hot, [0]);

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 40).Select(async i =>
        {
            try
            {
                await client.PutAsync(hot, [(byte)i], new RunOptions { Retry = RetryPolicy.None });
                return true;
            }
            catch (TransactionConflictException)
            {
                return false;
            }
        }));

        Assert.Contains(false, outcomes);
        Assert.Equal(1 + outcomes.Count(ok => ok), (await client.GetAsync(hot)).Version);
    }

    [Fact]
    public async Task DepositAsync_ConcurrentOnAHotAccount_AllCommitWithoutConflicts()
    {
        var client = Client;
        var hot = Keys.New("hot");
        await client.DepositAsync(hot, 1);
        var retriesBefore = client.Runner.Retries;

        await Task.WhenAll(Enumerable.Range(0, 40).Select(_ => client.DepositAsync(hot, 1, new RunOptions { Retry = RetryPolicy.None })));

        Assert.Equal(41, await client.GetBalanceAsync(hot));
        Assert.Equal(retriesBefore, client.Runner.Retries);
    }

    [Fact]
    public async Task RunAsync_BodyConflictsEveryTime_ThrowsTheLastConflictAfterTheAttempts()
    {
        var attempts = 0;
        var runner = Client.Runner;

        var error = await Assert.ThrowsAsync<TransactionConflictException>(() => runner.RunAsync(
            () =>
            {
                attempts++;
                throw new TransactionConflictException("t", $"conflict {attempts}");
            },
            new RunOptions { Retry = RetryPolicy.Default with { MaxAttempts = 4 } }));

        Assert.Equal(4, attempts);
        Assert.Equal("conflict 4", error.Message);
    }

    [Fact]
    public async Task RunAsync_RetriesWouldPassTheTimeout_ThrowsTimeoutWithTheConflictInside()
    {
        var error = await Assert.ThrowsAsync<TimeoutException>(() => Client.Runner.RunAsync(
            () => throw new TransactionConflictException("t", "always"),
            new RunOptions { Timeout = TimeSpan.FromMilliseconds(50), Retry = new RetryPolicy { MaxAttempts = 1_000, BaseDelay = TimeSpan.FromMilliseconds(20), MaxDelay = TimeSpan.FromMilliseconds(40) } }));

        Assert.IsType<TransactionConflictException>(error.InnerException);
    }

    [Fact]
    public async Task RunAsync_ApplicationException_IsNotRetried()
    {
        var attempts = 0;
        await Assert.ThrowsAsync<InvalidOperationException>(() => Client.Runner.RunAsync(() =>
        {
            attempts++;
            throw new InvalidOperationException("bug");
        }));

        Assert.Equal(1, attempts);
    }

    [Fact]
    public async Task RunAsync_BodyReturnsANullTask_SaysSoInsteadOfANullReference()
    {
        var withoutResult = await Assert.ThrowsAsync<InvalidOperationException>(() => Client.Runner.RunAsync(() => (Task)null!));
        var withResult = await Assert.ThrowsAsync<InvalidOperationException>(() => Client.Runner.RunAsync(() => (Task<int>)null!));

        Assert.Contains("returned null instead of a Task", withoutResult.Message, StringComparison.Ordinal);
        Assert.Contains("returned null instead of a Task", withResult.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithdrawAndDeposit_ComposeIntoATransfer_WithoutChange()
    {
        var client = Client;
        var (a, b) = (Keys.New("acct"), Keys.New("acct"));
        await client.DepositAsync(a, 50);

        await client.Runner.RunAsync(async () =>
        {
            await client.Grains.GetGrain<IAccountGrain>(a).Withdraw(20);
            await client.Grains.GetGrain<IAccountGrain>(b).Deposit(20);
        });

        Assert.Equal(30, await client.GetBalanceAsync(a));
        Assert.Equal(20, await client.GetBalanceAsync(b));
    }

    [Fact]
    public async Task TypedHelpers_BadInput_ThrowArgumentExceptionsBeforeTouchingTheCluster()
    {
        var client = Client;
        await Assert.ThrowsAnyAsync<ArgumentException>(() => client.DepositAsync("", 5));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => client.DepositAsync(Keys.New("acct"), 0));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => client.PutAsync(Keys.New("rec"), new byte[Records.RecordLimits.MaxValueBytes + 1]));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => client.CompareAndSetAsync(Keys.New("rec"), -1, [1]));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => client.GetAsync(new string('x', 1_000)));
    }

    [Fact]
    public async Task RunAsync_InfiniteTimeout_RetriesConflictsWithoutALimit()
    {
        var attempts = 0;

        var result = await Client.Runner.RunAsync(
            () => ++attempts < 3 ? throw new TransactionConflictException("t", "conflict") : Task.FromResult(attempts),
            new RunOptions { Timeout = Timeout.InfiniteTimeSpan });

        Assert.Equal(3, result);
    }

    public static TheoryData<string, RunOptions> InvalidOptions => new()
    {
        { "RunOptions.Timeout", new RunOptions { Timeout = TimeSpan.Zero } },
        { "RunOptions.Timeout", new RunOptions { Timeout = TimeSpan.FromSeconds(-5) } },
        { "RunOptions.Isolation", new RunOptions { Isolation = (IsolationLevel)42 } },
        { "RetryPolicy.MaxAttempts", new RunOptions { Retry = RetryPolicy.Default with { MaxAttempts = 0 } } },
        { "RetryPolicy.BaseDelay", new RunOptions { Retry = RetryPolicy.Default with { BaseDelay = TimeSpan.FromMilliseconds(-1) } } },
        { "RetryPolicy.MaxDelay", new RunOptions { Retry = RetryPolicy.Default with { BaseDelay = TimeSpan.FromSeconds(1), MaxDelay = TimeSpan.FromMilliseconds(10) } } },
        { "RetryPolicy.MaxDelay", new RunOptions { Retry = RetryPolicy.Default with { MaxDelay = Timeout.InfiniteTimeSpan } } },
        { "RetryPolicy.MaxDelay", new RunOptions { Retry = RetryPolicy.Default with { MaxDelay = TimeSpan.FromDays(100) } } },
    };

    [Theory]
    [MemberData(nameof(InvalidOptions))]
    public async Task RunAsync_InvalidOptions_ThrowsNamingTheSettingBeforeRunningTheBody(string setting, RunOptions options)
    {
        var ran = false;

        var error = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Client.Runner.RunAsync(
            () =>
            {
                ran = true;
                return Task.CompletedTask;
            },
            options));

        Assert.Contains(setting, error.Message);
        Assert.False(ran);
    }

    [Fact]
    public async Task AuditAsync_TransientFailure_IsRetried()
    {
        var (a, b) = (Keys.New("acct"), Keys.New("acct"));
        await Client.DepositAsync(a, 30);
        await Client.DepositAsync(b, 12);
        var real = fixture.Cluster.Grains;
        var audits = 0;

        // The bank's first audit fails as a snapshot that is too old would; the next ones reach the cluster.
        var grains = InterceptingProxy<IGrainFactory>.Create((method, args) =>
        {
            var grain = InterceptingProxy<IGrainFactory>.Forward(real, method, args);
            return grain is IBankGrain bank
                ? InterceptingProxy<IBankGrain>.Create((call, callArgs) =>
                    call.Name == nameof(IBankGrain.Audit) && Interlocked.Increment(ref audits) == 1
                        ? Task.FromException<long>(new SnapshotTooOldException("t", "injected: the snapshot is too old"))
                        : InterceptingProxy<IBankGrain>.Forward(bank, call, callArgs))
                : grain;
        });
        var client = new RoundaboutClient(grains, fixture.Cluster.Transactions);

        Assert.Equal(42, await client.AuditAsync([a, b]));
        Assert.Equal(2, audits);
    }

    [Fact]
    public async Task TypedHelpers_BadInput_ThrowArgumentExceptionsBeforeAnythingIsSent()
    {
        var client = new RoundaboutClient(InterceptingProxy<IGrainFactory>.Unreachable(), InterceptingProxy<IRoundaboutTransactions>.Unreachable());
        var (a, b) = (Keys.New("acct"), Keys.New("acct"));

        await Assert.ThrowsAnyAsync<ArgumentException>(() => client.TransferAsync("", b, 5));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => client.TransferAsync(a, " ", 5));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => client.TransferAsync(a, b, 0));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => client.TransferAsync(a, b, Money.MaxAmount + 1));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => client.TransferAsync(a, a, 5));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => client.TransferAsync(a, b, 5, idempotencyKey: ""));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => client.AuditAsync(null!));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => client.AuditAsync([a, ""]));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => client.AuditAsync([a, b, a])); // would count a twice
        await Assert.ThrowsAnyAsync<ArgumentException>(() => client.GetBalanceAsync(new string('x', GrainKeys.MaxLength + 1)));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => client.DepositAsync(a, -1));

        // Keys that Orleans would turn into a look-alike's (an unpaired surrogate becomes U+FFFD in
        // UTF-8), or that the PostgreSQL store cannot hold (NUL).
        await Assert.ThrowsAnyAsync<ArgumentException>(() => client.TransferAsync(a, b, 5, idempotencyKey: "key\uD800"));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => client.DepositAsync(a + "\uDC00", 5));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => client.PutAsync("rec\0", [1]));
    }
}
