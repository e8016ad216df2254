using System.Text;
using Roundabout.Records;
using Roundabout.Tests.Infrastructure;
using Roundabout.Tests.TestGrains;
using Xunit.Abstractions;

namespace Roundabout.Tests.Cluster;

/// <summary>
/// A deposit that commits inside a run of versions pruning dropped moves the next kept version but
/// not the dropped ones before it: the floor folded into the kept version's mark must not move with it.
/// </summary>
public sealed class GapDepositEscrowTests(ITestOutputHelper output) : WrappedStoreClusterTest<HoldingRecordStore>(
    inner => new HoldingRecordStore(inner),
    options => options.PreparedResolutionTimeout = TimeSpan.FromMinutes(2))
{
    private static readonly TimeSpan Step = TimeSpan.FromSeconds(20);
    private const long Max = long.MaxValue;
    private const long Min = long.MinValue;

    protected override void BeforeStop() => Store.Release();

    [Theory]
    [InlineData(true)]
    [InlineData(false)] // control: without the gap deposit the late withdrawal is refused
    public async Task DepositCommittedInPrunedGap_LetsALateWithdrawalBreakTheDroppedFloor(bool withGapDeposit)
    {
        var grains = Cluster.Grains;
        var transactions = Cluster.Transactions;
        var c = grains.GetGrain<IMixedCounterGrain>(Keys.New("mixed-gap-c"));
        var x = grains.GetGrain<IRecordGrain>(Keys.New("mixed-gap-x"));
        var z = grains.GetGrain<IRecordGrain>(Keys.New("mixed-gap-z"));
        Assert.True((await c.AddAll([200], [Min], [Max]))[0]);
        await x.Put(Encoding.UTF8.GetBytes("before W6"));
        await z.Put(Encoding.UTF8.GetBytes("before D"));

        // W2: one round at t2, reads X now, its withdrawal of 100 (own floor -1000) arrives last.
        var w2Release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var held = await HeldBackOneRound.StartAsync(transactions, x, round => c.AddAllInRound(round, [-100], [-1000], [Max]), w2Release.Task);
        var w2 = held.Run;
        await Task.Delay(200);

        // D: snapshot before W6, deposits 100 and writes Z; commits after W6, and its decision is held.
        var dReady = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var dGo = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var d = transactions.RunAsync(async () =>
        {
            Assert.True((await c.AddAll([withGapDeposit ? 100 : 0], [Min], [Max]))[0]);
            await z.Put(Encoding.UTF8.GetBytes("written by D"));
            dReady.TrySetResult();
            await dGo.Task.WaitAsync(Step);
        });
        await dReady.Task.WaitAsync(Step);

        // W6: reads Z (before D), withdraws 200 with floor 0, writes X.
        string w6SawZ = "";
        bool w6Added = false;
        await transactions.RunAsync(async () =>
        {
            w6SawZ = Encoding.UTF8.GetString((await z.Get()).Value!);
            w6Added = (await c.AddAll([-200], [0], [Max]))[0];
            await x.Put(Encoding.UTF8.GetBytes("written by W6"));
        });

        Store.HoldWrites = DecisionWrites.HasCommit;
        dGo.SetResult();
        await Store.FirstHeld.WaitAsync(Step);
        Store.HoldWrites = null;

        // D10: reads X (W6's), deposits 300.
        string d10SawX = "";
        await transactions.RunAsync(async () =>
        {
            d10SawX = Encoding.UTF8.GetString((await x.Get()).Value!);
            Assert.True((await c.AddAll([300], [Min], [Max]))[0]);
        });
        await Task.Delay(1500);
        Assert.True((await c.AddAll([1], [Min], [Max]))[0]);
        var counts = await c.GetCounts();
        output.WriteLine($"after the deposit of 1: versions {counts[0]}, marks {counts[1]}");

        Store.Release();
        var dError = await Record.ExceptionAsync(() => d.WaitAsync(Step));
        counts = await c.GetCounts();
        output.WriteLine($"D {(dError is null ? "committed" : $"failed {dError.GetType().Name}: {dError.Message}")}; versions {counts[0]}, marks {counts[1]}");
        w2Release.SetResult();

        var w2Error = await Record.ExceptionAsync(() => w2.WaitAsync(Step));
        var w2SawX = w2Error is null ? Encoding.UTF8.GetString((await w2)[0].ResultAs<VersionedValue>().Value!) : "(aborted)";
        var w2Added = w2Error is null && (await w2)[1].ResultAs<bool[]>()[0];
        var final = await c.Read();
        var story = $"W6 added={w6Added} saw Z='{w6SawZ}'; D10 saw X='{d10SawX}'; D {(dError is null ? "committed" : "failed")}; " +
            $"W2 {(w2Error is null ? $"committed in {held.Attempts()} attempts, added={w2Added}, saw X='{w2SawX}'" : $"failed {w2Error.GetType().Name}: {w2Error.Message}")}; final {final}";
        output.WriteLine(story);
        var broken = w6Added && w6SawZ == "before D" && d10SawX == "written by W6" && dError is null && w2Error is null && w2Added && w2SawX == "before W6";
        Assert.False(broken, "non-serializable: W2 < W6 (X), W6 < D (Z): W6 withdrew 200 with floor 0 from 200 - 100 = 100. " + story);
    }
}
