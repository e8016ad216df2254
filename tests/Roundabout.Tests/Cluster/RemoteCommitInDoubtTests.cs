using Orleans.Transactions;
using Orleans.Configuration;
using Roundabout.Records;
using Roundabout.Tests.Infrastructure;

namespace Roundabout.Tests.Cluster;

/// <summary>
/// A client's one-round transaction is committed by a silo's coordinator. When the client hears
/// nothing back (here: the decision record's write is held past the client's response time-out),
/// the transaction may still commit, so the client must report it in doubt, never as a failure it
/// could blindly retry.
/// </summary>
public sealed class RemoteCommitInDoubtTests() : WrappedStoreClusterTest<HoldingRecordStore>(
    inner => new HoldingRecordStore(inner),
    configureClient: client => client.Configure<ClientMessagingOptions>(options => options.ResponseTimeout = TimeSpan.FromSeconds(2)))
{
    protected override void BeforeStop() => Store.Release();

    [Fact]
    public async Task OneRound_CoordinatorDoesNotAnswerInTime_InDoubtAndThenCommitted()
    {
        var (x, y) = (Cluster.Grains.GetGrain<IRecordGrain>(Keys.New("record")), Cluster.Grains.GetGrain<IRecordGrain>(Keys.New("record")));
        await Task.WhenAll(x.Put([1]), y.Put([1]));
        Store.HoldWrites = writes => writes.Any(w => w.Key.StartsWith("roundabout/tx/", StringComparison.Ordinal));

        var outcome = await Record.ExceptionAsync(() => Cluster.Transactions.RunOneRoundAsync(round => [x.PutInRound(round, [2]), y.PutInRound(round, [2])]));

        Assert.IsType<OrleansTransactionInDoubtException>(outcome);
        Store.Release();

        // The decision was on its way: once it is written, both records have the new value.
        Assert.Equal(new byte[] { 2 }, (await x.Get().WaitAsync(TimeSpan.FromSeconds(30))).Value);
        Assert.Equal(new byte[] { 2 }, (await y.Get().WaitAsync(TimeSpan.FromSeconds(30))).Value);
    }
}
