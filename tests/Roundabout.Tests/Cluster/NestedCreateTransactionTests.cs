using Roundabout.Tests.Infrastructure;
using Roundabout.Tests.TestGrains;
using Roundabout.Transactions;

namespace Roundabout.Tests.Cluster;

/// <summary>
/// What docs/client.md says of a transaction that calls a <c>[Transaction(Create)]</c> method: the
/// nested transaction commits at once, and the caller keeps reading its own snapshot, taken before.
/// With Orleans' locks the caller would read the nested one's result (a compatibility review found
/// the difference undocumented; these tests keep the documentation honest).
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class NestedCreateTransactionTests(ClusterFixture fixture)
{
    private ITallyGrain Tally(string key) => fixture.Cluster.Grains.GetGrain<ITallyGrain>(key);

    [Fact]
    public async Task CallerThatOnlyReads_CommitsHavingSeenItsSnapshot()
    {
        var tally = Tally(Keys.New("nested"));
        var seen = -1;

        await fixture.Cluster.TransactionClient.RunTransaction(TransactionOption.Create, async () =>
        {
            await tally.AddInNewTransaction(5); // committed on its own, now
            seen = await tally.GetTotal();
        });

        Assert.Equal(0, seen);
        Assert.Equal(5, await tally.GetTotal());
    }

    [Fact]
    public async Task CallerThatWritesWhatTheNestedOneWrote_ConflictsAndOnlyTheNestedOneCommitted()
    {
        var tally = Tally(Keys.New("nested"));

        await Assert.ThrowsAsync<TransactionConflictException>(() => fixture.Cluster.TransactionClient.RunTransaction(TransactionOption.Create, async () =>
        {
            await tally.AddInNewTransaction(5);
            await tally.Add(10);
        }));

        Assert.Equal(5, await tally.GetTotal());
    }
}
