using Orleans.Transactions;
using Roundabout.Accounts;
using Roundabout.Client.Library;
using Roundabout.Tests.Infrastructure;

namespace Roundabout.Tests.Client;

/// <summary>A transfer with an idempotency key takes effect at most once, however often it is sent.</summary>
public sealed class IdempotentTransferTests() : WrappedStoreClusterTest<FaultInjectingRecordStore>(
    inner => new FaultInjectingRecordStore(inner),
    options => options.PreparedResolutionTimeout = TimeSpan.FromSeconds(1))
{
    private RoundaboutClient Client => new(Cluster.Grains, Cluster.Transactions);

    [Fact]
    public async Task TransferAsync_SameKeyTwice_MovesTheMoneyOnce()
    {
        var client = Client;
        var (a, b, key) = (Keys.New("acct"), Keys.New("acct"), Keys.New("key"));
        await client.DepositAsync(a, 100);

        Assert.Equal(TransferOutcome.Applied, await client.TransferAsync(a, b, 30, key));
        Assert.Equal(TransferOutcome.AlreadyApplied, await client.TransferAsync(a, b, 30, key));
        Assert.Equal(TransferOutcome.Applied, await client.TransferAsync(a, b, 5));

        Assert.Equal(65, await client.GetBalanceAsync(a));
        Assert.Equal(35, await client.GetBalanceAsync(b));
    }

    [Fact]
    public async Task TransferAsync_SameKeyConcurrently_MovesTheMoneyOnce()
    {
        var client = Client;
        var (a, b, key) = (Keys.New("acct"), Keys.New("acct"), Keys.New("key"));
        await client.DepositAsync(a, 100);

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => client.TransferAsync(a, b, 30, key, new RunOptions { Retry = RetryPolicy.Default with { MaxAttempts = 100 } })));

        Assert.Single(outcomes, outcome => outcome == TransferOutcome.Applied);
        Assert.Equal(70, await client.GetBalanceAsync(a));
        Assert.Equal(30, await client.GetBalanceAsync(b));
    }

    [Fact]
    public async Task TransferAsync_RetriedAfterAnInDoubtOutcome_MovesTheMoneyOnce()
    {
        var client = Client;
        var (a, b, key) = (Keys.New("acct"), Keys.New("acct"), Keys.New("key"));
        await client.DepositAsync(a, 100);

        // The decision becomes durable but its acknowledgement is lost: the caller hears "in doubt".
        Store.Fault = InjectedFault.FailAfterWriting;
        Store.FailWrites = DecisionWrites.HasCommit;
        await Assert.ThrowsAsync<OrleansTransactionInDoubtException>(() => client.TransferAsync(a, b, 30, key));
        Store.FailWrites = null;

        // The retry learns that the first call did it.
        Assert.Equal(TransferOutcome.AlreadyApplied, await client.TransferAsync(a, b, 30, key));

        Assert.Equal(70, await client.GetBalanceAsync(a));
        Assert.Equal(30, await client.GetBalanceAsync(b));
    }

    [Fact]
    public async Task TransferAsync_RefusedThenRepeated_ReplaysTheRefusalEvenWhenFundsArrived()
    {
        var client = Client;
        var (a, b, key) = (Keys.New("acct"), Keys.New("acct"), Keys.New("key"));
        await client.DepositAsync(a, 10);

        await Assert.ThrowsAsync<InsufficientFundsException>(() => client.TransferAsync(a, b, 30, key));
        await client.DepositAsync(a, 100);
        await Assert.ThrowsAsync<InsufficientFundsException>(() => client.TransferAsync(a, b, 30, key));

        Assert.Equal(110, await client.GetBalanceAsync(a));
        Assert.Equal(0, await client.GetBalanceAsync(b));
    }

    [Fact]
    public async Task TransferAsync_RefusedWithAKey_CarriesTheSameDetailsAsWithout()
    {
        var client = Client;
        var (a, b, key) = (Keys.New("acct"), Keys.New("acct"), Keys.New("key"));
        await client.DepositAsync(a, 10);

        var unkeyed = await Assert.ThrowsAsync<InsufficientFundsException>(() => client.TransferAsync(a, b, 1000));
        var first = await Assert.ThrowsAsync<InsufficientFundsException>(() => client.TransferAsync(a, b, 1000, key));
        var replay = await Assert.ThrowsAsync<InsufficientFundsException>(() => client.TransferAsync(a, b, 1000, key));

        Assert.Equal((a, 10L, 1000L), (unkeyed.AccountId, unkeyed.Balance, unkeyed.Amount));
        foreach (var keyed in new[] { first, replay })
        {
            Assert.Equal((unkeyed.AccountId, unkeyed.Balance, unkeyed.Amount, unkeyed.OverdraftLimit), (keyed.AccountId, keyed.Balance, keyed.Amount, keyed.OverdraftLimit));
            Assert.Equal(unkeyed.Message, keyed.Message);
        }
    }

    [Fact]
    public async Task TransferAsync_KeyReusedForADifferentTransfer_ThrowsAndChangesNothing()
    {
        var client = Client;
        var (a, b, key) = (Keys.New("acct"), Keys.New("acct"), Keys.New("key"));
        await client.DepositAsync(a, 100);
        await client.TransferAsync(a, b, 30, key);

        var error = await Assert.ThrowsAsync<DuplicateTransferKeyException>(() => client.TransferAsync(a, b, 31, key));

        Assert.Contains(key, error.Message);
        Assert.Equal(70, await client.GetBalanceAsync(a));
    }
}
