using Orleans.Transactions;
using Roundabout.Accounts;
using Roundabout.Tests.Infrastructure;

namespace Roundabout.Tests.Cluster;

/// <summary>
/// A balance change whose outcome cannot depend on an addition still undecided below its snapshot
/// goes ahead without waiting for that decision; one whose outcome could depend on it waits and is
/// judged on the decided value.
/// </summary>
// The resolution time-out is long enough that nothing settles the held transaction while the test runs.
public sealed class CounterUndecidedAdditionTests() : WrappedStoreClusterTest<HoldingRecordStore>(
    inner => new HoldingRecordStore(inner),
    options => options.PreparedResolutionTimeout = TimeSpan.FromMinutes(2))
{
    protected override void BeforeStop() => Store.Release();

    [Fact]
    public async Task BalanceChanges_WhileATransferWaitsForItsDecision_OnlyThoseItCouldDecideWait()
    {
        var (a, b) = (Keys.New("acct"), Keys.New("acct"));
        var bank = Cluster.Grains.GetGrain<IBankGrain>(0);
        var source = Cluster.Grains.GetGrain<IAccountGrain>(a);
        await source.Deposit(100);
        await Cluster.Grains.GetGrain<IAccountGrain>(b).Deposit(100);

        // The transfer prepares -30 at a and +30 at b, then waits for its decision to be written.
        Store.HoldWrites = DecisionWrites.HasCommit;
        var transfer = bank.Transfer(a, b, 30);
        await Store.FirstHeld.WaitAsync(TimeSpan.FromSeconds(30));

        // A deposit, and a withdrawal that leaves 5 even if the transfer commits, do not wait for it.
        await source.Deposit(5).WaitAsync(TimeSpan.FromSeconds(30));
        await source.Withdraw(70).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.False(transfer.IsCompleted, "the transfer should still wait for its decision");

        // Withdrawing 10 is covered only if the transfer aborts: it must wait for the decision.
        var dependent = source.Withdraw(10);
        await Task.Delay(TimeSpan.FromMilliseconds(500));
        Assert.False(dependent.IsCompleted, "a withdrawal that depends on the undecided transfer went ahead without it");

        Store.Release();
        await transfer;
        // Judged on the decided balance: 5 once the transfer committed (it would have had 35 otherwise).
        var aborted = await Assert.ThrowsAsync<OrleansTransactionAbortedException>(() => dependent);
        var refused = Assert.IsType<InsufficientFundsException>(aborted.InnerException);
        Assert.Contains("has 5 ", refused.Message, StringComparison.Ordinal);
        Assert.Equal(5, await source.GetBalance());
        Assert.Equal(130, await Cluster.Grains.GetGrain<IAccountGrain>(b).GetBalance());
    }
}
