using Orleans.TestingHost;
using Orleans.Transactions.Abstractions;
using Roundabout.Hosting;
using Roundabout.Silo.Hosting;
using Roundabout.Silo.Persistence.Memory;
using Roundabout.Tests.Infrastructure;
using Roundabout.Tests.TestGrains;

namespace Roundabout.Tests.Cluster;

/// <summary>
/// As with Orleans' own transactional state, an application's <see cref="ITransactionDataCopier{TData}"/>
/// copies the state before an update and the results that leave it (found by a compatibility
/// review: the states used Orleans' serializer copier whatever the application registered).
/// </summary>
public sealed class TransactionDataCopierTests
{
    [Fact]
    public async Task ApplicationCopierForTheStateType_CopiesTheStateAndTheResults()
    {
        var builder = new InProcessTestClusterBuilder(1);
        builder.ConfigureSilo((_, silo) =>
        {
            silo.UseRecordStore(new InMemoryRecordStore()).AddRoundabout();
            silo.Services.AddSingleton<ITransactionDataCopier<Note>, CountingNoteCopier>();
        });
        builder.ConfigureClient(client => client.UseRoundaboutTransactions());
        await using var cluster = builder.Build();
        await cluster.DeployAsync();
        var before = CountingNoteCopier.Copies;

        var note = await cluster.Client.GetGrain<INotedGrain>(Keys.New("noted")).Add(3);

        Assert.Equal(3, note.Value);
        // One copy of the state for the update to work on, one of the note the read returned.
        Assert.True(CountingNoteCopier.Copies - before >= 2, $"the application's copier made {CountingNoteCopier.Copies - before} copies");
    }
}
