using Orleans.Transactions;
using Roundabout.Accounts;
using Roundabout.Silo.Persistence.GroupCommit;
using Roundabout.Tests.Infrastructure;
using Roundabout.Tests.Storage;

namespace Roundabout.Tests.Cluster;

/// <summary>
/// On the embedded log, participants vote once their prepare is accepted, before it is durable.
/// Here the flush that carries a transfer's prepares fails: the transfer must not be acknowledged,
/// and a silo restarted on the same log finds it whole or not at all.
/// </summary>
public sealed class OrderedLogFailureTests
{
    [Fact]
    public async Task Transfer_FlushOfItsPreparesFails_NotAcknowledgedAndWholeOrAbsentAfterARestart()
    {
        using var directory = new TempDataDirectory();
        var files = new FaultInjectingLogFileSystem();
        var (a, b) = (Keys.New("acct"), Keys.New("acct"));
        var store = StorageTestKit.Open(directory.Path, files);
        Assert.NotNull(store.OrderingDomain);
        Exception? outcome;
        await using (var cluster = await StartAsync(store))
        {
            var bank = cluster.Grains.GetGrain<IBankGrain>(0);
            await cluster.Grains.GetGrain<IAccountGrain>(a).Deposit(100);
            await cluster.Grains.GetGrain<IAccountGrain>(b).Deposit(100);
            await bank.Transfer(a, b, 1);
            await Task.Delay(TimeSpan.FromMilliseconds(500)); // the warm-up's decision removal is flushed

            // The next flush is held in its append and then fails its fsync. The two accounts'
            // parts run one after the other, so without the hold the second prepare could arrive
            // after the store had failed and be refused outright (a plain conflict, also correct);
            // held, both prepares and the decision are accepted behind the failing flush.
            files.HoldAppend(files.SegmentAppendCalls + 1);
            files.FailSync(files.SegmentSyncCalls + 1, new IOException("injected fsync failure"));
            var transfer = bank.Transfer(a, b, 30);
            Assert.True(files.WaitUntilHeld(TimeSpan.FromSeconds(30)), "the transfer's first prepare was never flushed");
            await Task.Delay(TimeSpan.FromSeconds(1)); // the other part and the decision are accepted meanwhile
            files.ReleaseHold();
            outcome = await Record.ExceptionAsync(() => transfer);
        }

        // Both prepares were accepted and voted yes before the flush failed; the decision, accepted
        // after them, failed with it. So the outcome is unknown to the caller, never "committed".
        Assert.IsType<OrleansTransactionInDoubtException>(outcome);
        await Record.ExceptionAsync(async () => await store.DisposeAsync()); // a failed store may say so again

        await using var reopened = StorageTestKit.Open(directory.Path);
        await using (var cluster = await StartAsync(reopened))
        {
            // Prepared records without a decision settle as aborted after the resolution time-out;
            // with the decision in the same failed frame, as committed. Never one without the other.
            var balances = await Task.WhenAll(
                cluster.Grains.GetGrain<IAccountGrain>(a).GetBalance(),
                cluster.Grains.GetGrain<IAccountGrain>(b).GetBalance());
            Assert.True(balances.SequenceEqual([99L, 101L]) || balances.SequenceEqual([69L, 131L]), $"half a transfer: {balances[0]} and {balances[1]}");
            Assert.Equal(200, await cluster.Grains.GetGrain<IBankGrain>(0).Audit([a, b]));
        }
    }

    private static Task<RoundaboutCluster> StartAsync(GroupCommitRecordStore store) => RoundaboutCluster.StartAsync(
        silos: 1,
        configure: options => options.PreparedResolutionTimeout = TimeSpan.FromSeconds(1),
        wrapStore: _ => store);
}
