using Orleans.Transactions;
using Roundabout.Accounts;
using Roundabout.Tests.Infrastructure;

namespace Roundabout.Tests.Cluster;

/// <summary>
/// When the commit decision cannot be confirmed, the caller hears "in doubt", never "aborted";
/// the participants then settle from the decision record, so the outcome is all or nothing.
/// </summary>
public sealed class InDoubtTests() : WrappedStoreClusterTest<FaultInjectingRecordStore>(
    inner => new FaultInjectingRecordStore(inner),
    options => options.PreparedResolutionTimeout = TimeSpan.FromSeconds(1))
{
    [Theory]
    [InlineData(InjectedFault.FailAfterWriting, true)]
    [InlineData(InjectedFault.FailBeforeWriting, false)]
    public async Task Transfer_DecisionWriteFails_ReportsInDoubtAndSettlesAllOrNothing(InjectedFault fault, bool expectCommitted)
    {
        var (a, b) = (Keys.New("acct"), Keys.New("acct"));
        var bank = Cluster.Grains.GetGrain<IBankGrain>(0);
        await Cluster.Grains.GetGrain<IAccountGrain>(a).Deposit(100);
        await Cluster.Grains.GetGrain<IAccountGrain>(b).Deposit(100);

        Store.Fault = fault;
        Store.FailWrites = DecisionWrites.HasCommit;
        await Assert.ThrowsAsync<OrleansTransactionInDoubtException>(() => bank.Transfer(a, b, 30));
        Store.FailWrites = null;
        Assert.Equal(1, Store.InjectedFailures);

        // Reads wait for the prepared writes to be settled from the decision record (after the
        // 1 s resolution time-out): either both moved or neither did.
        var balances = await Task.WhenAll(
            Cluster.Grains.GetGrain<IAccountGrain>(a).GetBalance(),
            Cluster.Grains.GetGrain<IAccountGrain>(b).GetBalance());
        Assert.Equal(expectCommitted ? new long[] { 70, 130 } : new long[] { 100, 100 }, balances);
        Assert.Equal(200, await bank.Audit([a, b]));
    }

    [Fact]
    public async Task Transfer_DecisionWriteCertainlyNotWritten_AbortsSayingSo_AndReleasesThePreparedWrites()
    {
        var (a, b) = (Keys.New("acct"), Keys.New("acct"));
        var bank = Cluster.Grains.GetGrain<IBankGrain>(0);
        await Cluster.Grains.GetGrain<IAccountGrain>(a).Deposit(100);
        await Cluster.Grains.GetGrain<IAccountGrain>(b).Deposit(100);
        var decisionsBefore = Cluster.Store.KeysWithPrefix("roundabout/tx/").ToHashSet();

        Store.Fault = InjectedFault.RefuseSayingNothingWritten;
        Store.FailWrites = DecisionWrites.HasCommit;
        var aborted = await Assert.ThrowsAsync<OrleansTransactionTransientFailureException>(() => bank.Transfer(a, b, 30));
        Store.FailWrites = null;
        Assert.Contains("nothing took effect", aborted.Message, StringComparison.Ordinal);

        Assert.Equal(new long[] { 100, 100 }, await Task.WhenAll(
            Cluster.Grains.GetGrain<IAccountGrain>(a).GetBalance(),
            Cluster.Grains.GetGrain<IAccountGrain>(b).GetBalance()));

        // The coordinator told both accounts to drop their prepared writes: the reads above did
        // not have to wait them out and propose Abort in a decision record of their own.
        Assert.Empty(Cluster.Store.KeysWithPrefix("roundabout/tx/").Except(decisionsBefore));
        await bank.Transfer(a, b, 30);
        Assert.Equal(70, await Cluster.Grains.GetGrain<IAccountGrain>(a).GetBalance());
    }

    [Fact]
    public async Task Transfer_PrepareWriteFails_AbortsWithATransientFailureAndChangesNothing()
    {
        var (a, b) = (Keys.New("acct"), Keys.New("acct"));
        var bank = Cluster.Grains.GetGrain<IBankGrain>(0);
        await Cluster.Grains.GetGrain<IAccountGrain>(a).Deposit(100);

        Store.Fault = InjectedFault.FailBeforeWriting;
        Store.FailWrites = writes => writes.Any(w => w.Key.Contains(a, StringComparison.Ordinal));
        await Assert.ThrowsAnyAsync<OrleansTransactionTransientFailureException>(() => bank.Transfer(a, b, 30));
        Store.FailWrites = null;

        Assert.Equal(100, await bank.Audit([a, b]));
        Assert.Equal(100, await Cluster.Grains.GetGrain<IAccountGrain>(a).GetBalance());
    }

    [Fact]
    public async Task Transfer_InstallWriteFails_KeepsTheDecisionAndTheSlotSettlesCommitted()
    {
        var (a, b) = (Keys.New("acct"), Keys.New("acct"));
        var bank = Cluster.Grains.GetGrain<IBankGrain>(0);
        await Cluster.Grains.GetGrain<IAccountGrain>(a).Deposit(100);
        await Cluster.Grains.GetGrain<IAccountGrain>(b).Deposit(100);

        // The source account's balance is written twice by the transfer: its prepare, then its
        // install after the decision. Fail the install: the transfer has committed all the same.
        var balanceWrites = 0;
        Store.Fault = InjectedFault.FailBeforeWriting;
        Store.FailWrites = writes => writes.Any(w => w.Key.Contains("/counter/", StringComparison.Ordinal) && w.Key.Contains(a, StringComparison.Ordinal))
            && Interlocked.Increment(ref balanceWrites) == 2;
        await bank.Transfer(a, b, 30);
        await WaitUntilAsync(() => Task.FromResult(Store.InjectedFailures == 1));
        Store.FailWrites = null;

        // The failed slot reloads its prepared addition and settles it from the decision record,
        // which the coordinator must not have removed (after the 1 s resolution time-out). Until
        // the failed activation is gone, reads of it fail: ask again.
        long[]? balances = null;
        await WaitUntilAsync(async () =>
        {
            try
            {
                balances = await Task.WhenAll(
                    Cluster.Grains.GetGrain<IAccountGrain>(a).GetBalance(),
                    Cluster.Grains.GetGrain<IAccountGrain>(b).GetBalance());
                return true;
            }
            catch (IOException)
            {
                return false;
            }
        });
        Assert.Equal(new long[] { 70, 130 }, balances);
        Assert.Equal(200, await bank.Audit([a, b]));
    }


    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "The condition did not hold within 10 s.");
            await Task.Delay(10);
        }
    }
}
