using System.Text;
using Roundabout.Records;
using Roundabout.Tests.Infrastructure;
using Roundabout.Tests.TestGrains;
using Roundabout.Transactions;
using Xunit.Abstractions;

namespace Roundabout.Tests.Cluster;

[Collection(ClusterCollection.Name)]
public sealed class CounterMixedEscrowTests(ClusterFixture fixture, ITestOutputHelper output)
{
    private static readonly TimeSpan Step = TimeSpan.FromSeconds(20);
    private const long Min = long.MinValue;
    private const long Max = long.MaxValue;

    private IGrainFactory Grains => fixture.Cluster.Grains;

    private IRoundaboutTransactions Transactions => fixture.Cluster.Transactions;

    /// <summary>
    /// T deposits 100 then withdraws 50 with floor 100 (from 60: 160, 110 - fine at its snapshot).
    /// W withdraws 30 (floor 0) and commits; R reads 30 (W done, T not). T commits after R.
    /// R saw 30, so W &lt; R &lt; T in any serial order; T's withdrawal then left 30+100-50 = 80 &lt; 100.
    /// </summary>
    [Fact]
    public async Task DepositThenWithdraw_OwnFloorNotCheckedAtPrepare()
    {
        var c = Grains.GetGrain<IMixedCounterGrain>(Keys.New("mixed-dw"));
        Assert.True((await c.AddAll([60], [Min], [Max]))[0]);

        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        bool[] tAdded = [];
        var t = Transactions.RunAsync(async () =>
        {
            tAdded = await c.AddAll([100, -50], [Min, 100], [Max, Max]);
            ready.TrySetResult();
            await gate.Task.WaitAsync(Step);
        });
        await ready.Task.WaitAsync(Step);

        var wAdded = (await c.AddAll([-30], [0], [Max]))[0];
        var rSaw = await c.Read();
        gate.SetResult();
        var tError = await Record.ExceptionAsync(() => t);
        var final = await c.Read();
        var story = $"T added={string.Join(",", tAdded)} error={tError?.GetType().Name}: {tError?.Message}; W added={wAdded}; R saw {rSaw}; final {final}";
        output.WriteLine(story);
        var broken = tError is null && tAdded.All(a => a) && wAdded && rSaw == 30;
        Assert.False(broken, "non-serializable: R saw W's withdrawal and not T, so W < R < T; T's withdrawal of 50 after its deposit of 100 left 80, below its floor 100. " + story);
    }

    /// <summary>Symmetric: T withdraws 50 then deposits 30 with ceiling 90 (from 100: 50, 80). W deposits 40; R reads 140; T then reaches 140-50+30 = 120 &gt; 90.</summary>
    [Fact]
    public async Task WithdrawThenDeposit_OwnCeilingNotCheckedAtPrepare()
    {
        var c = Grains.GetGrain<IMixedCounterGrain>(Keys.New("mixed-wd"));
        Assert.True((await c.AddAll([100], [Min], [Max]))[0]);

        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        bool[] tAdded = [];
        var t = Transactions.RunAsync(async () =>
        {
            tAdded = await c.AddAll([-50, 30], [Min, Min], [Max, 90]);
            ready.TrySetResult();
            await gate.Task.WaitAsync(Step);
        });
        await ready.Task.WaitAsync(Step);

        var wAdded = (await c.AddAll([40], [Min], [Max]))[0];
        var rSaw = await c.Read();
        gate.SetResult();
        var tError = await Record.ExceptionAsync(() => t);
        var final = await c.Read();
        var story = $"T added={string.Join(",", tAdded)} error={tError?.GetType().Name}: {tError?.Message}; W added={wAdded}; R saw {rSaw}; final {final}";
        output.WriteLine(story);
        var broken = tError is null && tAdded.All(a => a) && wAdded && rSaw == 140;
        Assert.False(broken, "non-serializable: W < R < T; T's deposit of 30 after its withdrawal of 50 left 120, above its ceiling 90. " + story);
    }

    /// <summary>
    /// T (one round, t_T) withdraws 10 with floor 0 then deposits 20, and writes X; its counter part
    /// prepares at once (pending: net +10, lowest -10), its X part is held. N (one round, t_N &lt; t_T)
    /// read X's old value and withdraws 25 with floor -100; its counter part arrives while T is pending.
    /// N read X before T wrote it, so N &lt; T; then T withdrew 10 from 30-25 = 5 with floor 0.
    /// </summary>
    [Fact]
    public async Task PendingWithdrawThenDeposit_ItsDipIsIgnoredByALaterArrivingWithdrawalBelowIt()
    {
        var c = Grains.GetGrain<IMixedCounterGrain>(Keys.New("mixed-pend"));
        var x = Grains.GetGrain<IRecordGrain>(Keys.New("mixed-pend-x"));
        Assert.True((await c.AddAll([30], [Min], [Max]))[0]);
        await x.Put(Encoding.UTF8.GetBytes("before T"));

        // N: ticket first, reads X at once, counter part held.
        var nRelease = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var nCounterDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var held = await HeldBackOneRound.StartAsync(Transactions, x, async round =>
        {
            try
            {
                return await c.AddAllInRound(round, [-25], [-100], [Max]);
            }
            finally
            {
                nCounterDone.TrySetResult();
            }
        }, nRelease.Task);
        var n = held.Run;
        await Task.Delay(200); // N's read of X done

        // T: counter part at once, X part held until N's counter part has prepared.
        var tCounterDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var tAttempts = 0;
        var t = Transactions.RunOneRoundAsync(round =>
        {
            var first = Interlocked.Increment(ref tAttempts) == 1;
            var counterPart = c.AddAllInRound(round, [-10, 20], [0, Min], [Max, Max]);
            _ = counterPart.ContinueWith(_ => tCounterDone.TrySetResult(), TaskScheduler.Default);
            var writeX = Task.Run(async () =>
            {
                if (first)
                {
                    await nCounterDone.Task.WaitAsync(Step);
                }

                return await x.PutInRound(round, Encoding.UTF8.GetBytes("written by T"));
            });
            return [counterPart, writeX];
        });
        await tCounterDone.Task.WaitAsync(Step);
        nRelease.SetResult();

        var nError = await Record.ExceptionAsync(() => n.WaitAsync(Step));
        var tError = await Record.ExceptionAsync(() => t.WaitAsync(Step));
        var nSawX = nError is null ? Encoding.UTF8.GetString((await n)[0].ResultAs<VersionedValue>().Value!) : "(aborted)";
        var nAdded = nError is null && (await n)[1].ResultAs<bool[]>().All(a => a);
        var tAdded = tError is null && (await t)[0].ResultAs<bool[]>().All(a => a);
        var final = await c.Read();
        var story = $"N {(nError is null ? $"committed in {held.Attempts()} attempts, added={nAdded}, saw X='{nSawX}'" : $"failed {nError.GetType().Name}: {nError.Message}")}; " +
            $"T {(tError is null ? $"committed in {tAttempts} attempts, added={tAdded}" : $"failed {tError.GetType().Name}: {tError.Message}")}; final {final}";
        output.WriteLine(story);
        var broken = nError is null && nAdded && nSawX == "before T" && tError is null && tAdded;
        Assert.False(broken, "non-serializable: N read X before T wrote it (N < T); then T's withdrawal of 10 took 30-25=5 to -5, below its floor 0. " + story);
    }

    /// <summary>
    /// The installed twin of <see cref="DepositThenWithdraw_OwnFloorNotCheckedAtPrepare"/>: T (deposit 100,
    /// withdraw 50 with floor 100, from 60) commits and writes X; it leaves no escrow mark (its lowest is 0).
    /// L (one round, below T) read X before T and withdraws 30 with floor -1000; it arrives after T.
    /// L &lt; T, so T's withdrawal left 30+100-50 = 80 &lt; 100.
    /// </summary>
    [Fact]
    public async Task DepositThenWithdraw_Installed_LeavesNoMarkForALateWithdrawalBelowIt()
    {
        var c = Grains.GetGrain<IMixedCounterGrain>(Keys.New("mixed-dwi"));
        var x = Grains.GetGrain<IRecordGrain>(Keys.New("mixed-dwi-x"));
        Assert.True((await c.AddAll([60], [Min], [Max]))[0]);
        await x.Put(Encoding.UTF8.GetBytes("before T"));

        var lRelease = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var held = await HeldBackOneRound.StartAsync(Transactions, x, round => c.AddAllInRound(round, [-30], [-1000], [Max]), lRelease.Task);
        var l = held.Run;
        await Task.Delay(200);

        bool[] tAdded = [];
        var tError = await Record.ExceptionAsync(() => Transactions.RunAsync(async () =>
        {
            tAdded = await c.AddAll([100, -50], [Min, 100], [Max, Max]);
            await x.Put(Encoding.UTF8.GetBytes("written by T"));
        }));
        lRelease.SetResult();
        var lError = await Record.ExceptionAsync(() => l.WaitAsync(Step));
        var lSawX = lError is null ? Encoding.UTF8.GetString((await l)[0].ResultAs<VersionedValue>().Value!) : "(aborted)";
        var lAdded = lError is null && (await l)[1].ResultAs<bool[]>()[0];
        var final = await c.Read();
        var story = $"T added={string.Join(",", tAdded)} error={tError?.Message}; L {(lError is null ? $"committed in {held.Attempts()} attempts, added={lAdded}, saw X='{lSawX}'" : $"failed {lError.Message}")}; final {final}";
        output.WriteLine(story);
        var broken = tError is null && tAdded.All(a => a) && lError is null && lAdded && lSawX == "before T";
        Assert.False(broken, "non-serializable: L < T (L read X before T wrote it); T's withdrawal then left 80, below its floor 100. " + story);
    }

    /// <summary>
    /// Balance 15, nothing else running. One transaction withdraws 10 with floor 0 (15 -> 5) and then a
    /// fee of 10 with floor -100 (5 -> -5): both TryAdds report Added, and the serial check holds
    /// (5 >= 0, -5 >= -100). The prepare joins the floors as max(0, -100) = 0 at the lowest point -20.
    /// </summary>
    [Fact]
    public async Task TwoWithdrawalsWithDifferentFloors_AloneOnTheCounter_Commit()
    {
        var c = Grains.GetGrain<IMixedCounterGrain>(Keys.New("own-bounds-floor"));
        Assert.True((await c.AddAll([15], [Min], [Max]))[0]);

        var failures = 0;
        for (var attempt = 1; attempt <= 5; attempt++)
        {
            bool[] added = [];
            var error = await Record.ExceptionAsync(() => Transactions.RunAsync(async () =>
            {
                added = await c.AddAll([-10, -10], [0, -100], [Max, Max]);
            }));
            output.WriteLine($"attempt {attempt}: added={string.Join(",", added)} error={error?.GetType().Name}: {error?.Message}; value {await c.Read()}");
            failures += error is null ? 0 : 1;
        }

        Assert.True(failures == 0, $"{failures} of 5 attempts conflicted, with nothing else on the counter and both TryAdds reporting Added");
    }

    /// <summary>The ceiling twin: 85; deposit 10 with ceiling 100 (95), then 10 with ceiling 1000 (105).</summary>
    [Fact]
    public async Task TwoDepositsWithDifferentCeilings_AloneOnTheCounter_Commit()
    {
        var c = Grains.GetGrain<IMixedCounterGrain>(Keys.New("own-bounds-ceiling"));
        Assert.True((await c.AddAll([85], [Min], [Max]))[0]);
        bool[] added = [];
        var error = await Record.ExceptionAsync(() => Transactions.RunAsync(async () =>
        {
            added = await c.AddAll([10, 10], [Min, Min], [100, 1000]);
        }));
        output.WriteLine($"added={string.Join(",", added)} error={error?.GetType().Name}: {error?.Message}; value {await c.Read()}");
        Assert.Null(error);
        Assert.All(added, Assert.True);
    }
}
