using Roundabout.Accounts;
using Roundabout.Tests.Infrastructure;
using Roundabout.Transactions;

namespace Roundabout.Tests.Cluster;

/// <summary>What each kind of transaction costs in durable writes.</summary>
public sealed class DurableWriteCountTests() : WrappedStoreClusterTest<RecordingRecordStore>(inner => new RecordingRecordStore(inner))
{
    [Fact]
    public async Task Deposit_OneWriter_CommitsWithASingleDurableWrite()
    {
        var account = Cluster.Grains.GetGrain<IAccountGrain>(Keys.New("acct"));
        await account.Deposit(1); // activates the grain and the oracle
        var before = Store.Batches.Count;

        await account.Deposit(5);

        var batches = Store.Batches.Skip(before).Where(b => !b.All(IsOracleCeiling)).ToList();
        Assert.Single(batches);
        Assert.Contains(batches[0], key => key.Contains(account.GetPrimaryKeyString(), StringComparison.Ordinal));
        Assert.Equal(6, await account.GetBalance());
    }

    [Fact]
    public async Task Audit_ReadOnly_WritesNothing()
    {
        var (a, b) = (Keys.New("acct"), Keys.New("acct"));
        await Cluster.Grains.GetGrain<IAccountGrain>(a).Deposit(10);
        await Cluster.Grains.GetGrain<IAccountGrain>(b).Deposit(20);
        var bank = Cluster.Grains.GetGrain<IBankGrain>(0);
        await bank.Audit([a, b]);
        var before = Store.Batches.Count;

        var total = await bank.Audit([a, b]);
        var read = await Cluster.Transactions.RunAsync(() => Cluster.Grains.GetGrain<IAccountGrain>(a).GetBalance(), TransactionOptions.ReadOnlySnapshot);

        Assert.Equal(30, total);
        Assert.Equal(10, read);
        Assert.DoesNotContain(Store.Batches.Skip(before), batch => !batch.All(IsOracleCeiling));
    }

    [Fact]
    public async Task Transfer_TwoWriters_PreparesEachThenRecordsOneDecision()
    {
        var (a, b) = (Keys.New("acct"), Keys.New("acct"));
        await Cluster.Grains.GetGrain<IAccountGrain>(a).Deposit(10);
        await Cluster.Grains.GetGrain<IAccountGrain>(b).Deposit(10);
        var before = Store.Batches.Count;

        await Cluster.Grains.GetGrain<IBankGrain>(0).Transfer(a, b, 3);

        var keys = Store.Batches.Skip(before).SelectMany(batch => batch).ToList();
        var decisions = keys.Where(k => k.StartsWith("roundabout/tx/", StringComparison.Ordinal)).Distinct().ToList();
        Assert.Single(decisions);
        Assert.Contains(keys, k => k.Contains(a, StringComparison.Ordinal));
        Assert.Contains(keys, k => k.Contains(b, StringComparison.Ordinal));
    }

    private static bool IsOracleCeiling(string key) => key.StartsWith("roundabout/oracle/", StringComparison.Ordinal);
}
