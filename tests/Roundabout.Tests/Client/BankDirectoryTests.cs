using Roundabout.Client.Library;
using Roundabout.Tests.Infrastructure;

namespace Roundabout.Tests.Client;

/// <summary>The bank's list of accounts, as `bank init` and `bank run` keep it.</summary>
[Collection(ClusterCollection.Name)]
public sealed class BankDirectoryTests(ClusterFixture fixture)
{
    /// <summary>
    /// An account can hold money without being listed: the demo's accounts, or one a program paid
    /// into. Listing it must not pay it again (a user trial found `bank init` on a demo's data
    /// directory doubling the money: 3,054 became 6,054).
    /// </summary>
    [Fact]
    public async Task OpenAsync_AnAccountThatAlreadyHoldsMoney_IsListedWithoutBeingPaidAgain()
    {
        var client = new RoundaboutClient(fixture.Cluster.Grains, fixture.Cluster.Transactions);
        var (funded, empty) = (Keys.New("funded"), Keys.New("empty"));
        await client.DepositAsync(funded, 1_018);

        var opened = await new BankDirectory(client).OpenAsync([funded, empty], 1_000);

        Assert.Equal(1, opened); // the funded one already existed
        Assert.Equal(1_018, await client.GetBalanceAsync(funded));
        Assert.Equal(1_000, await client.GetBalanceAsync(empty));
        Assert.Equal(2_018, await client.AuditAsync([funded, empty]));
        Assert.Contains(funded, await new BankDirectory(client).GetAccountsAsync());
    }
}
