using System.Text;
using Roundabout.Accounts;
using Roundabout.Records;
using Roundabout.Tests.Infrastructure;
using Roundabout.Tests.TestGrains;
using Roundabout.Transactions;
using Xunit.Abstractions;

namespace Roundabout.Tests.Cluster;

[Collection(ClusterCollection.Name)]
public sealed class CounterEscrowFloorTests(ClusterFixture fixture, ITestOutputHelper output)
{
    private static readonly TimeSpan Step = TimeSpan.FromSeconds(20);

    private IGrainFactory Grains => fixture.Cluster.Grains;

    private IRoundaboutTransactions Transactions => fixture.Cluster.Transactions;

    /// <summary>
    /// W2 (one round, timestamp t) reads record X and withdraws 50 with floor -100; its counter part
    /// arrives late. Meanwhile W1 (rv, c1 &gt; t) withdraws 100 with floor 0 from a balance of 100 and
    /// overwrites X. W2 read X's old value, so W2 precedes W1 in any serial order; but then W1
    /// withdrew 100 from 50 with floor 0. Serializable must refuse one of them.
    /// </summary>
    [Fact]
    public async Task LooserFloorInsertedBelowACommittedWithdrawal_BreaksItsFloor()
    {
        var c = Grains.GetGrain<IFloorCounterGrain>(Keys.New("floor-c"));
        var x = Grains.GetGrain<IRecordGrain>(Keys.New("floor-x"));
        Assert.True(await c.AddWithin(100, long.MinValue));
        await x.Put(Encoding.UTF8.GetBytes("before W1"));

        var w1Done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var w2 = await HeldBackOneRound.StartAsync(Transactions, x, round => c.AddWithinInRound(round, -50, -100), w1Done.Task);
        bool w1Added = false;
        var w1Error = await Record.ExceptionAsync(() => Transactions.RunAsync(async () =>
        {
            w1Added = await c.AddWithin(-100, 0);
            await x.Put(Encoding.UTF8.GetBytes("written by W1"));
        }));
        w1Done.SetResult();
        var w2Error = await Record.ExceptionAsync(() => w2.Run.WaitAsync(Step));
        string w2SawX = w2Error is null ? Encoding.UTF8.GetString((await w2.Run)[0].ResultAs<VersionedValue>().Value!) : "(aborted)";
        var w2Added = w2Error is null && (await w2.Run)[1].ResultAs<bool>();
        var balance = await c.Read();
        var story = $"W1 {(w1Error is null ? $"committed, added={w1Added}" : $"failed {w1Error.GetType().Name}: {w1Error.Message}")}; " +
            $"W2 {(w2Error is null ? $"committed in {w2.Attempts()} attempts, added={w2Added}, saw X='{w2SawX}'" : $"failed {w2Error.GetType().Name}: {w2Error.Message}")}; balance {balance}";
        output.WriteLine(story);
        var cycle = w1Error is null && w1Added && w2Error is null && w2Added && w2SawX == "before W1";
        Assert.False(cycle, "non-serializable: W2 read X before W1's write (W2 < W1), yet W1's floor-0 withdrawal of 100 only holds if W2's 50 came after it. " + story);
    }

    /// <summary>
    /// Same floor (0) for every withdrawal, as an account's. W2 (one round, timestamp t) reads X and
    /// withdraws 150 from 200; its counter part arrives late. Meanwhile W6 withdraws 200 (floor 0)
    /// and overwrites X, then a deposit of 300 and one of 1 commit; the version between W6 and the
    /// deposit is pruned (nobody can read there). W2's escrow check then misses that version.
    /// </summary>
    [Fact]
    public async Task SameFloor_VersionBetweenPruned_EscrowMissesIt()
    {
        var c = Grains.GetGrain<IFloorCounterGrain>(Keys.New("floor-prune-c"));
        var x = Grains.GetGrain<IRecordGrain>(Keys.New("floor-prune-x"));
        Assert.True(await c.AddWithin(200, long.MinValue));
        await x.Put(Encoding.UTF8.GetBytes("before W6"));

        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var w2 = await HeldBackOneRound.StartAsync(Transactions, x, round => c.AddWithinInRound(round, -150, 0), release.Task);
        bool w6Added = false;
        var w6Error = await Record.ExceptionAsync(() => Transactions.RunAsync(async () =>
        {
            w6Added = await c.AddWithin(-200, 0);
            await x.Put(Encoding.UTF8.GetBytes("written by W6"));
        }));
        // D10 reads X (W6's write: W6 precedes D10 in any serial order, strict or not) and deposits 300.
        string d10SawX = "";
        var d10 = await Transactions.RunAsync(async () =>
        {
            d10SawX = Encoding.UTF8.GetString((await x.Get()).Value!);
            return await c.AddWithin(300, long.MinValue);
        });
        output.WriteLine($"W6 error={w6Error?.Message} added={w6Added}; D10 saw X='{d10SawX}', deposit 300 added={d10}; versions kept {await c.GetRetainedVersionCount()}");
        await Task.Delay(1500);
        Assert.True(await c.AddWithin(1, long.MinValue));
        output.WriteLine($"after the deposit of 1: versions kept {await c.GetRetainedVersionCount()}");
        release.SetResult();

        var w2Error = await Record.ExceptionAsync(() => w2.Run.WaitAsync(Step));
        string w2SawX = w2Error is null ? Encoding.UTF8.GetString((await w2.Run)[0].ResultAs<VersionedValue>().Value!) : "(aborted)";
        var w2Added = w2Error is null && (await w2.Run)[1].ResultAs<bool>();
        var balance = await c.Read();
        var story = $"W6 {(w6Error is null ? $"committed, added={w6Added}" : $"failed {w6Error.GetType().Name}: {w6Error.Message}")}; " +
            $"W2 {(w2Error is null ? $"committed in {w2.Attempts()} attempts, added={w2Added}, saw X='{w2SawX}'" : $"failed {w2Error.GetType().Name}: {w2Error.Message}")}; balance {balance}";
        output.WriteLine(story);
        var cycle = w6Error is null && w6Added && d10 && d10SawX == "written by W6" && w2Error is null && w2Added && w2SawX == "before W6";
        Assert.False(cycle, "non-serializable: W2 read X before W6 wrote it (W2 < W6), D10 read W6's X (W6 < D10), so W6 withdrew 200 with floor 0 from at most 200 - 150 + 1 = 51. " + story);
    }

    /// <summary>
    /// The same as <see cref="SameFloor_VersionBetweenPruned_EscrowMissesIt"/> with the shipped
    /// account grain (overdraft limit 0): its balance goes below the floor in the serial order.
    /// </summary>
    [Fact]
    public async Task Account_VersionBetweenPruned_OverdraftFloorBroken()
    {
        var account = Grains.GetGrain<IAccountGrain>(Keys.New("floor-prune-account"));
        var x = Grains.GetGrain<IRecordGrain>(Keys.New("floor-prune-account-x"));
        await account.Deposit(200);
        await x.Put(Encoding.UTF8.GetBytes("before W6"));

        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var w2 = await HeldBackOneRound.StartAsync(Transactions, x, round => account.WithdrawInRound(round, 150), release.Task);
        var w6Error = await Record.ExceptionAsync(() => Transactions.RunAsync(async () =>
        {
            await account.Withdraw(200);
            await x.Put(Encoding.UTF8.GetBytes("written by W6"));
        }));
        string d10SawX = "";
        await Transactions.RunAsync(async () =>
        {
            d10SawX = Encoding.UTF8.GetString((await x.Get()).Value!);
            await account.Deposit(300);
        });
        await Task.Delay(1500);
        await account.Deposit(1);
        release.SetResult();

        var w2Error = await Record.ExceptionAsync(() => w2.Run.WaitAsync(Step));
        string w2SawX = w2Error is null ? Encoding.UTF8.GetString((await w2.Run)[0].ResultAs<VersionedValue>().Value!) : "(aborted)";
        var balance = await account.GetBalance();
        var story = $"W6 (withdraw 200, write X) {(w6Error is null ? "committed" : $"failed {w6Error.GetType().Name}: {w6Error.Message}")}; D10 (read X, deposit 300) saw X='{d10SawX}'; " +
            $"W2 (read X, withdraw 150) {(w2Error is null ? $"committed in {w2.Attempts()} attempts, saw X='{w2SawX}'" : $"failed {w2Error.GetType().Name}: {w2Error.Message}")}; balance {balance}";
        output.WriteLine(story);
        var cycle = w6Error is null && d10SawX == "written by W6" && w2Error is null && w2SawX == "before W6";
        Assert.False(cycle, "non-serializable: W2 < W6 (W2 read X before W6's write) < D10 (D10 read W6's X): W6 withdrew 200 from at most 51 with overdraft limit 0. " + story);
    }
}
