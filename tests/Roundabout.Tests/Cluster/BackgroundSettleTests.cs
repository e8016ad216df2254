using System.Diagnostics;
using Orleans.Transactions;
using Roundabout.Storage;
using Roundabout.Tests.Infrastructure;
using Roundabout.Tests.TestGrains;
using Roundabout.Transactions.Protocol;

namespace Roundabout.Tests.Cluster;

/// <summary>
/// A slot that loads a prepared write settles it from the decision record by itself, in the
/// background, once the resolution time-out has passed: nobody has to call the grain. If the
/// activation is deactivated before that, the settling is the next activation's to do: the old
/// one writes nothing more, neither a decision nor its slot's record (a write of the old activation
/// and one of the next would refuse each other by ETag, and the refused one's activation would
/// fail and reload for nothing).
/// </summary>
/// <remarks>
/// Every Commit decision fails to be written (and is not written), so the one transaction of each
/// test ends in doubt with its writes prepared and no decision, and its coordinator does nothing
/// more: the only ones left to settle them are the slots.
/// </remarks>
public sealed class BackgroundSettleTests() : WrappedStoreClusterTest<HoldingRecordStore>(
    inner => new HoldingRecordStore(new FaultInjectingRecordStore(inner) { FailWrites = writes => DecisionWrites.HasCommit(writes) }),
    options => options.PreparedResolutionTimeout = ResolutionTimeout)
{
    private static readonly TimeSpan ResolutionTimeout = TimeSpan.FromSeconds(3);

    /// <summary>Long beside a grain write to an in-memory store (under a millisecond), short beside a test run.</summary>
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(1.5);

    private static readonly TimeSpan Prompt = TimeSpan.FromSeconds(30);

    public enum SlotKind
    {
        State,
        Counter,
    }

    public enum Moment
    {
        /// <summary>While the old activation gives the coordinator its time.</summary>
        WhileWaitingForTheTimeout,

        /// <summary>While the old activation's Abort proposal is on its way to the store.</summary>
        WhileProposingAbort,
    }

    protected override void BeforeStop() => Store.Release();

    [Fact]
    public async Task RecoveredCounterAdditions_NobodyCallsTheCounters_EachSettlesWhenTheTimeoutEnds()
    {
        // Each counter waits on a timer of its own, and a timer often ends a fraction of a
        // millisecond before the clock says its time is up (two to six of these eight did, in five runs).
        var counters = Enumerable.Range(0, 8).Select(_ => Keys.New("counter")).ToList();
        var grains = counters.Select(counter => Cluster.Grains.GetGrain<ILargeCounterGrain>(counter)).ToList();
        var sincePrepared = Stopwatch.StartNew();
        await Assert.ThrowsAsync<OrleansTransactionInDoubtException>(() => Cluster.TransactionClient.RunTransaction(TransactionOption.Create, async () =>
        {
            foreach (var grain in grains)
            {
                await grain.TryAdd(5);
            }
        }));

        // Reloaded, each counter holds the pending addition and waits out the rest of the time-out.
        await Cluster.Grains.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);
        await Task.WhenAll(grains.Select(grain => grain.Ping())).WaitAsync(Prompt);
        Assert.True(sincePrepared.Elapsed < ResolutionTimeout, $"the test took {sincePrepared.Elapsed} to reload the counters: none had any time-out left to wait out");
        var slotKeys = counters.Select(counter => Cluster.Store.KeysWithPrefix("roundabout/counter/").Single(key => key.Contains(counter, StringComparison.Ordinal))).ToList();
        var loaded = await Task.WhenAll(slotKeys.Select(key => Cluster.Store.ReadAsync(key)));

        // Settling rewrites the record without the addition: the only write a counter nobody calls makes.
        await Task.Delay(ResolutionTimeout - sincePrepared.Elapsed + Grace);
        var now = await Task.WhenAll(slotKeys.Select(key => Cluster.Store.ReadAsync(key)));
        var unsettled = slotKeys.Where((_, i) => now[i]!.ETag == loaded[i]!.ETag).ToList();
        Assert.True(unsettled.Count == 0, $"{unsettled.Count} of {slotKeys.Count} reloaded counters did not settle their pending addition: {string.Join(", ", unsettled)}");

        // Abort, as no Commit was ever recorded.
        Assert.All(await Task.WhenAll(grains.Select(grain => grain.Read())), value => Assert.Equal(0, value));
    }

    [Theory]
    [InlineData(SlotKind.State, Moment.WhileWaitingForTheTimeout)]
    [InlineData(SlotKind.State, Moment.WhileProposingAbort)]
    [InlineData(SlotKind.Counter, Moment.WhileWaitingForTheTimeout)]
    [InlineData(SlotKind.Counter, Moment.WhileProposingAbort)]
    public async Task RecoveredPreparedWrite_ActivationDeactivatedBeforeItSettled_WritesNothingMore(SlotKind kind, Moment moment)
    {
        var subject = Subject.Of(kind, Cluster.Grains);
        var management = Cluster.Grains.GetGrain<IManagementGrain>(0);
        if (moment == Moment.WhileProposingAbort)
        {
            Store.HoldWrites = writes => writes.Any(IsAbortProposal);
        }

        var sincePrepared = Stopwatch.StartNew();
        await Assert.ThrowsAsync<OrleansTransactionInDoubtException>(() =>
            Cluster.TransactionClient.RunTransaction(TransactionOption.Create, subject.AddFiveToBoth));
        var slotKey = Cluster.Store.KeysWithPrefix(subject.SlotKeyPrefix).Single(key => key.Contains(subject.GrainKey, StringComparison.Ordinal));

        // The activation that prepared goes; the next one loads the prepared write from storage
        // and starts settling it, which waits for the rest of the resolution time-out first.
        await management.ForceActivationCollection(TimeSpan.Zero);
        await subject.Activate().WaitAsync(Prompt);
        if (moment == Moment.WhileProposingAbort)
        {
            await Store.FirstHeld.WaitAsync(Prompt);
        }

        var before = await Cluster.Store.ReadAsync(slotKey);
        await management.ForceActivationCollection(TimeSpan.Zero);
        if (moment == Moment.WhileWaitingForTheTimeout)
        {
            Assert.True(sincePrepared.Elapsed < ResolutionTimeout, $"the test took {sincePrepared.Elapsed} to deactivate the loading activation: too slow to test what it does after the time-out");
            await Task.Delay(ResolutionTimeout - sincePrepared.Elapsed + Grace);
            Assert.Empty(Cluster.Store.KeysWithPrefix("roundabout/tx/"));
        }
        else
        {
            // The proposal was handed to the store before the deactivation, so it is written;
            // the abort that would follow it is the old activation's next write.
            Store.Release();
            await WaitUntilAsync(() => Cluster.Store.KeysWithPrefix("roundabout/tx/").Count == 1);
            await Task.Delay(Grace);
        }

        var after = await Cluster.Store.ReadAsync(slotKey);
        Assert.Equal(before!.ETag, after!.ETag);

        // The next activation settles it: Abort, as no Commit was ever recorded.
        Assert.Equal(0, await subject.Read().WaitAsync(Prompt));
    }

    private static bool IsAbortProposal(RecordWrite write) => DecisionWrites.IsProposal(write, Decision.Abort);

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Prompt;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"The condition did not hold within {Prompt}.");
            await Task.Delay(10);
        }
    }

    /// <summary>Two grains of one kind, written by one transaction; the first is the one the test follows.</summary>
    private sealed record Subject(string GrainKey, string SlotKeyPrefix, Func<Task> AddFiveToBoth, Func<Task> Activate, Func<Task<long>> Read)
    {
        public static Subject Of(SlotKind kind, IGrainFactory grains)
        {
            if (kind == SlotKind.State)
            {
                var (key, otherKey) = (Keys.New("tally"), Keys.New("tally"));
                var (tally, other) = (grains.GetGrain<ITallyGrain>(key), grains.GetGrain<ITallyGrain>(otherKey));
                return new Subject(
                    key,
                    "roundabout/state/",
                    async () =>
                    {
                        await tally.Add(5);
                        await other.Add(5);
                    },
                    tally.NotAllowed,
                    async () => await tally.GetTotal());
            }

            var (counterKey, otherCounterKey) = (Keys.New("counter"), Keys.New("counter"));
            var (counter, otherCounter) = (grains.GetGrain<ILargeCounterGrain>(counterKey), grains.GetGrain<ILargeCounterGrain>(otherCounterKey));
            return new Subject(
                counterKey,
                "roundabout/counter/",
                async () =>
                {
                    await counter.TryAdd(5);
                    await otherCounter.TryAdd(5);
                },
                counter.Ping,
                counter.Read);
        }
    }
}
