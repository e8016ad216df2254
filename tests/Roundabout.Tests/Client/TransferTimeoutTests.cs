using Orleans.Configuration;
using Orleans.Transactions;
using Roundabout.Client.Library;
using Roundabout.Tests.Infrastructure;

namespace Roundabout.Tests.Client;

/// <summary>
/// A transfer the bank grain runs, whose answer does not come within the client's response
/// time-out, may still commit: the caller hears "in doubt", as for any unknown outcome, and a retry
/// with the same key finds the first outcome. It used to be a plain <see cref="TimeoutException"/>,
/// the type the runner uses for "certainly did not commit".
/// </summary>
public sealed class TransferTimeoutTests() : WrappedStoreClusterTest<HoldingRecordStore>(
    inner => new HoldingRecordStore(inner),
    configureClient: client => client.Configure<ClientMessagingOptions>(options => options.ResponseTimeout = TimeSpan.FromSeconds(2)))
{
    private static readonly TimeSpan Prompt = TimeSpan.FromSeconds(30);

    protected override void BeforeStop() => Store.Release();

    [Fact]
    public async Task TransferAsync_AnswerLaterThanTheResponseTimeout_IsInDoubt_AndTheKeyFindsItCommitted()
    {
        var client = new RoundaboutClient(Cluster.Grains, Cluster.Transactions);
        var (a, b, key) = (Keys.New("acct"), Keys.New("acct"), Keys.New("key"));
        await client.DepositAsync(a, 100);

        Store.HoldWrites = DecisionWrites.HasCommit;
        var unknown = await Assert.ThrowsAsync<OrleansTransactionInDoubtException>(() => client.TransferAsync(a, b, 30, key));
        Assert.IsType<TimeoutException>(unknown.InnerException);

        // The decision was only late: it commits, and the key knows it.
        Store.Release();
        await client.TransferAsync(a, b, 30, key).WaitAsync(Prompt);
        Assert.Equal(70, await client.GetBalanceAsync(a));
        Assert.Equal(30, await client.GetBalanceAsync(b));
    }

    [Fact]
    public async Task TransferAsync_ReadOnlyOption_IsRefusedAndMovesNothing()
    {
        var client = new RoundaboutClient(Cluster.Grains, Cluster.Transactions);
        var (a, b) = (Keys.New("acct"), Keys.New("acct"));
        await client.DepositAsync(a, 100);

        await Assert.ThrowsAsync<ArgumentException>(() => client.TransferAsync(a, b, 30, options: new RunOptions { ReadOnly = true }));
        await Assert.ThrowsAsync<ArgumentException>(() => client.TransferAsync(a, b, 30, Keys.New("key"), new RunOptions { ReadOnly = true }));

        Assert.Equal(100, await client.GetBalanceAsync(a));
        Assert.Equal(0, await client.GetBalanceAsync(b));
    }

}
