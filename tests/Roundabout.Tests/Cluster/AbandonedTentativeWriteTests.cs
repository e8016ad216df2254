using Roundabout.Accounts;
using Roundabout.Records;
using Roundabout.Storage;
using Roundabout.Tests.Infrastructure;

namespace Roundabout.Tests.Cluster;

/// <summary>
/// A transaction's tentative write at a grain can be dropped while the transaction still runs:
/// swept after <c>AbandonedTransactionTimeout</c> of idleness, or lost with the activation. If the
/// transaction then calls the grain again, that call starts afresh from the snapshot, so the grain
/// holds only part of the transaction's writes. It must then vote no: the transaction commits
/// whole or not at all. (The time-out is 1 s here; the default is 60 s.)
/// </summary>
public sealed class AbandonedTentativeWriteTests() : WrappedStoreClusterTest<IRecordStore>(
    inner => inner,
    options => options.AbandonedTransactionTimeout = TimeSpan.FromSeconds(1))
{
    private static readonly TimeSpan PastTheSweep = TimeSpan.FromSeconds(2.5);

    [Fact]
    public async Task CounterAdditions_SecondAfterTheFirstWasSwept_BothCommitOrNeither()
    {
        var account = Cluster.Grains.GetGrain<IAccountGrain>(Keys.New("acct"));
        await account.Deposit(100);

        var outcome = await Record.ExceptionAsync(() => Cluster.TransactionClient.RunTransaction(TransactionOption.Create, async () =>
        {
            await account.Deposit(5);
            await Task.Delay(PastTheSweep);
            await account.Deposit(7);
        }));

        var balance = await account.GetBalance();
        Assert.True(balance is 112 || (balance is 100 && outcome is not null), $"balance {balance} after the transaction (outcome: {outcome?.GetType().Name ?? "committed"}); expected 112, or 100 with an abort");
    }

    [Fact]
    public async Task StateUpdates_SecondAfterTheFirstWasSwept_BothCommitOrNeither()
    {
        var record = Cluster.Grains.GetGrain<IRecordGrain>(Keys.New("rec"));

        var outcome = await Record.ExceptionAsync(() => Cluster.TransactionClient.RunTransaction(TransactionOption.Create, async () =>
        {
            await record.Put([1]);
            await Task.Delay(PastTheSweep);
            await record.Put([2]);
        }));

        var version = (await record.Get()).Version;
        Assert.True(version is 2 || (version is 0 && outcome is not null), $"version {version} after two puts in one transaction (outcome: {outcome?.GetType().Name ?? "committed"}); expected 2, or 0 with an abort");
    }

    [Fact]
    public async Task CounterAdditions_GrainReactivatedBetweenThem_BothCommitOrNeither()
    {
        var account = Cluster.Grains.GetGrain<IAccountGrain>(Keys.New("acct"));
        await account.Deposit(100);
        var management = Cluster.Grains.GetGrain<IManagementGrain>(0);

        var outcome = await Record.ExceptionAsync(() => Cluster.TransactionClient.RunTransaction(TransactionOption.Create, async () =>
        {
            await account.Deposit(5);
            // Every idle activation goes, the account's with the transaction's addition in it.
            await management.ForceActivationCollection(TimeSpan.Zero);
            await account.Deposit(7);
        }));

        var balance = await account.GetBalance();
        Assert.True(balance is 112 || (balance is 100 && outcome is not null), $"balance {balance} after the transaction (outcome: {outcome?.GetType().Name ?? "committed"}); expected 112, or 100 with an abort");
    }
}
