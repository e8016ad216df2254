using System.Text;
using Roundabout.Accounts;
using Roundabout.Records;
using Roundabout.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Roundabout.Tests.Cluster;

/// <summary>
/// The shipped account grain (overdraft 0). T withdraws 10 and deposits 20 on account A and writes
/// X; it is prepared everywhere and its decision is held. N (one round, t_N below T's commit) read X
/// before T and withdraws 30 from A; its part arrives while T is pending. N &lt; T (N read X before T
/// wrote it); then T withdrew 10 from 0.
/// </summary>
public sealed class HeldMixedAccountEscrowTests(ITestOutputHelper output) : WrappedStoreClusterTest<HoldingRecordStore>(
    inner => new HoldingRecordStore(inner),
    options => options.PreparedResolutionTimeout = TimeSpan.FromMinutes(2))
{
    private static readonly TimeSpan Step = TimeSpan.FromSeconds(20);

    protected override void BeforeStop() => Store.Release();

    [Fact]
    public async Task PendingWithdrawThenDepositOnOneAccount_ALateWithdrawalBelowItTakesItsDipBelowTheOverdraft()
    {
        var a = Cluster.Grains.GetGrain<IAccountGrain>(Keys.New("mixed-acct"));
        var x = Cluster.Grains.GetGrain<IRecordGrain>(Keys.New("mixed-acct-x"));
        await a.Deposit(30);
        await x.Put(Encoding.UTF8.GetBytes("before T"));

        var nRelease = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var held = await HeldBackOneRound.StartAsync(Cluster.Transactions, x, round => a.WithdrawInRound(round, 30), nRelease.Task);
        var n = held.Run;
        await Task.Delay(200);

        Store.HoldWrites = DecisionWrites.HasCommit;
        var t = Cluster.Transactions.RunAsync(async () =>
        {
            await a.Withdraw(10);
            await a.Deposit(20);
            await x.Put(Encoding.UTF8.GetBytes("written by T"));
        });
        await Store.FirstHeld.WaitAsync(Step);
        Store.HoldWrites = null;

        nRelease.SetResult();
        var nError = await Record.ExceptionAsync(() => n.WaitAsync(Step));
        Store.Release();
        var tError = await Record.ExceptionAsync(() => t.WaitAsync(Step));
        var nSawX = nError is null ? Encoding.UTF8.GetString((await n)[0].ResultAs<VersionedValue>().Value!) : "(aborted)";
        var balance = await a.GetBalance();
        var story = $"N {(nError is null ? $"committed in {held.Attempts()} attempts, saw X='{nSawX}'" : $"failed {nError.GetType().Name}: {nError.Message}")}; " +
            $"T {(tError is null ? "committed" : $"failed {tError.GetType().Name}: {tError.Message}")}; balance {balance}";
        output.WriteLine(story);
        var broken = nError is null && nSawX == "before T" && tError is null;
        Assert.False(broken, "non-serializable: N < T (N read X before T wrote it), and T's withdrawal of 10 then found 0 with overdraft 0. " + story);
    }
}
