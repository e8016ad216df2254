using Roundabout.Accounts;
using Roundabout.Hosting;
using Roundabout.Tests.Infrastructure;
using Roundabout.Transactions;
using Roundabout.Transactions.Protocol;

namespace Roundabout.Tests.Cluster;

[Collection(ClusterCollection.Name)]
public sealed class GrainReferencesTests(ClusterFixture fixture)
{
    private GrainReferences References => fixture.Cluster.Client.ServiceProvider.GetRequiredService<GrainReferences>();

    [Fact]
    public async Task Get_StringKey_AddressesTheGrainThatGetGrainAddresses()
    {
        var key = Keys.New("ref");
        await fixture.Cluster.Transactions.RunAsync(() => fixture.Cluster.Grains.GetGrain<IAccountGrain>(key).Deposit(42));

        var cached = References.Get<IAccountGrain>(key);

        Assert.Equal(fixture.Cluster.Grains.GetGrain<IAccountGrain>(key).GetGrainId(), cached.GetGrainId());
        Assert.Equal(42, await fixture.Cluster.Transactions.RunAsync(() => cached.GetBalance(), TransactionOptions.ReadOnlySnapshot));
    }

    [Fact]
    public void Get_IntegerKey_AddressesTheGrainThatGetGrainAddresses()
    {
        Assert.Equal(
            fixture.Cluster.Grains.GetGrain<ITransactionCoordinatorGrain>(7).GetGrainId(),
            References.Get<ITransactionCoordinatorGrain>(7).GetGrainId());
    }

    [Fact]
    public async Task Cast_ToTheParticipantExtension_ReachesTheGrainsStates()
    {
        var account = fixture.Cluster.Grains.GetGrain<IAccountGrain>(Keys.New("ref"));
        await fixture.Cluster.Transactions.RunAsync(() => account.Deposit(5));

        var extension = References.Cast<ITransactionParticipantExtension>(account.GetGrainId());

        // A version newer than timestamp 0 exists, so the wait ends at once with true.
        Assert.True(await extension.WaitForCommitAfter("balance", 0, TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public void Get_BlankKey_IsRefused()
    {
        Assert.Throws<ArgumentException>(() => References.Get<IAccountGrain>(" "));
    }
}
