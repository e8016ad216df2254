using Roundabout.Records;
using Roundabout.Tests.Infrastructure;
using Roundabout.Transactions.Protocol;

namespace Roundabout.Tests.Cluster;

/// <summary>
/// A prepared write that waits longer than the resolution time-out proposes Abort in the decision
/// record, and the first decision wins. When that Abort lands before the coordinator's Commit, the
/// one-round attempt certainly took no effect, so it is tried again at a new timestamp: the caller
/// sees one committed transaction, not a conflict, and the aborted attempt leaves nothing behind.
/// </summary>
public sealed class DecidedAbortRetryTests() : WrappedStoreClusterTest<HoldingRecordStore>(
    inner => new HoldingRecordStore(inner),
    configure: options => options.PreparedResolutionTimeout = TimeSpan.FromSeconds(1))
{
    private static readonly TimeSpan Prompt = TimeSpan.FromSeconds(30);

    protected override void BeforeStop() => Store.Release();

    [Fact]
    public async Task OneRound_AParticipantDecidesAbortFirst_RetriedAndCommittedOnce()
    {
        var (x, y) = (Cluster.Grains.GetGrain<IRecordGrain>(Keys.New("record")), Cluster.Grains.GetGrain<IRecordGrain>(Keys.New("record")));
        await Task.WhenAll(x.Put([1]), y.Put([1]));

        // Hold the first decision write (the coordinator's Commit) and nothing after it, so that
        // the participant's Abort proposal reaches the store first.
        string? heldDecision = null;
        Store.HoldWrites = writes =>
            writes.FirstOrDefault(write => write.Key.StartsWith("roundabout/tx/", StringComparison.Ordinal)) is { } decision &&
            Interlocked.CompareExchange(ref heldDecision, decision.Key, null) is null;

        var attempts = 0;
        var transfer = Cluster.Transactions.RunOneRoundAsync(round =>
        {
            Interlocked.Increment(ref attempts);
            return [x.PutInRound(round, [2]), y.PutInRound(round, [2])];
        });
        await Store.FirstHeld.WaitAsync(Prompt);

        // A reader above the prepared write waits for its outcome; after the time-out the record
        // proposes Abort, which wins, and the reader sees the value from before.
        var seen = await Cluster.Transactions.RunAsync(() => x.Get()).WaitAsync(Prompt);
        Assert.Equal(new byte[] { 1 }, seen.Value);
        Assert.False(transfer.IsCompleted, "the first attempt cannot end while its decision is held");

        Store.Release();
        var committed = await transfer.WaitAsync(Prompt);

        Assert.Equal(2, attempts);
        var firstAttempt = Guid.ParseExact(heldDecision!["roundabout/tx/".Length..], "N");
        Assert.Equal(CommitDecisions.KeyOf(firstAttempt), heldDecision);
        Assert.All(committed, part => Assert.NotEqual(firstAttempt, part.TransactionId));
        // One put each on top of the first: the aborted attempt installed nothing.
        foreach (var record in new[] { x, y })
        {
            var now = await record.Get().WaitAsync(Prompt);
            Assert.Equal(new byte[] { 2 }, now.Value);
            Assert.Equal(2, now.Version);
        }
    }
}
