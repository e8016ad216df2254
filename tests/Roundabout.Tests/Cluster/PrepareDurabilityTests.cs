using Roundabout.Accounts;
using Roundabout.Tests.Infrastructure;

namespace Roundabout.Tests.Cluster;

/// <summary>
/// A participant votes before its prepare is durable only when its store makes the decision
/// record, written later, durable after it. A store that promises no such order (this one, which
/// holds writes back) makes the vote, and so the whole commit, wait for the prepare's write.
/// </summary>
public sealed class PrepareDurabilityTests() : WrappedStoreClusterTest<HoldingRecordStore>(inner => new HoldingRecordStore(inner))
{
    protected override void BeforeStop() => Store.Release();

    [Fact]
    public async Task Transfer_PrepareNotDurableInAStoreWithoutOrder_NoDecisionAndNoAcknowledgementUntilItIs()
    {
        var (a, b) = (Keys.New("acct"), Keys.New("acct"));
        await Cluster.Grains.GetGrain<IAccountGrain>(a).Deposit(100);
        await Cluster.Grains.GetGrain<IAccountGrain>(b).Deposit(100);
        Assert.Null(((Roundabout.Storage.IRecordStore)Store).OrderingDomain);

        Store.HoldWrites = writes => writes.Any(w => w.Key.Contains("/counter/", StringComparison.Ordinal) && w.Key.Contains(a, StringComparison.Ordinal));
        var transfer = Cluster.Grains.GetGrain<IBankGrain>(0).Transfer(a, b, 30);
        await Store.FirstHeld.WaitAsync(TimeSpan.FromSeconds(30));
        await Task.Delay(TimeSpan.FromMilliseconds(500));

        Assert.False(transfer.IsCompleted, "the transfer was acknowledged before its prepare at the source was durable");
        Assert.Empty(Cluster.Store.KeysWithPrefix("roundabout/tx/"));

        Store.Release();
        await transfer;
        Assert.Equal(70, await Cluster.Grains.GetGrain<IAccountGrain>(a).GetBalance());
        Assert.Equal(130, await Cluster.Grains.GetGrain<IAccountGrain>(b).GetBalance());
    }
}
