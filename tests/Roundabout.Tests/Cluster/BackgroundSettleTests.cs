using System.Diagnostics;
using Orleans.Transactions;
using Roundabout.Storage;
using Roundabout.Tests.Infrastructure;
using Roundabout.Tests.TestGrains;
using Roundabout.Transactions.Protocol;

namespace Roundabout.Tests.Cluster;

/// <summary>
/// A slot that loads a prepared write settles it from the decision record by itself, in the
/// background, once the resolution time-out has passed: nobody has to call the grain.
/// </summary>
/// <remarks>
/// Every Commit decision fails to be written (and is not written), so the one transaction of each
/// test ends in doubt with its writes prepared and no decision, and its coordinator does nothing
/// more: the only ones left to settle them are the slots.
/// </remarks>
public sealed class BackgroundSettleTests() : WrappedStoreClusterTest<FaultInjectingRecordStore>(
    inner => new FaultInjectingRecordStore(inner) { FailWrites = writes => writes.Any(IsCommitDecision) },
    options => options.PreparedResolutionTimeout = ResolutionTimeout)
{
    private static readonly TimeSpan ResolutionTimeout = TimeSpan.FromSeconds(3);

    /// <summary>Long beside a grain write to an in-memory store (under a millisecond), short beside a test run.</summary>
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(1.5);

    private static readonly TimeSpan Prompt = TimeSpan.FromSeconds(30);

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

    private static bool IsCommitDecision(RecordWrite write) =>
        write.Key.StartsWith("roundabout/tx/", StringComparison.Ordinal) && write.ExpectedETag is null
        && write.Value is { Length: 1 } value && value.Span[0] == (byte)Decision.Commit;
}
