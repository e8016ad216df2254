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

    /// <summary>Ctrl+C during `bank init` reaches the opening (it used to run to its end): cancelled, it opens nothing more.</summary>
    [Fact]
    public async Task OpenAsync_Cancelled_OpensNothingMore()
    {
        var client = new RoundaboutClient(fixture.Cluster.Grains, fixture.Cluster.Transactions);
        var accounts = Enumerable.Range(0, 3).Select(_ => Keys.New("cancelled")).ToArray();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => new BankDirectory(client).OpenAsync(accounts, 1_000, new CancellationToken(canceled: true)));

        Assert.Equal(0, await client.AuditAsync(accounts));
        Assert.Empty((await new BankDirectory(client).GetAccountsAsync()).Intersect(accounts));
    }

    /// <summary>
    /// The record helpers refuse to write the directory: deleted or rewritten, it would make the
    /// next opening pay accounts that hold money already. Reading it stays allowed.
    /// </summary>
    [Fact]
    public async Task RecordHelpers_WritingTheDirectory_AreRefusedAndChangeNothing()
    {
        var client = new RoundaboutClient(fixture.Cluster.Grains, fixture.Cluster.Transactions);
        var bank = new BankDirectory(client);
        var account = Keys.New("listed");
        await bank.OpenAsync([account], 500);
        var before = await client.GetAsync(BankDirectory.RecordKey);

        var refusals = new[]
        {
            await Assert.ThrowsAsync<ArgumentException>(() => client.PutAsync(BankDirectory.RecordKey, "[]"u8.ToArray())),
            await Assert.ThrowsAsync<ArgumentException>(() => client.CompareAndSetAsync(BankDirectory.RecordKey, before.Version, "[]"u8.ToArray())),
            await Assert.ThrowsAsync<ArgumentException>(() => client.DeleteAsync(BankDirectory.RecordKey)),
        };

        Assert.All(refusals, refusal => Assert.Contains("account directory", refusal.Message));
        var after = await client.GetAsync(BankDirectory.RecordKey);
        Assert.Equal(before.Version, after.Version);
        Assert.Equal(before.Value, after.Value);
        Assert.Equal(0, await bank.OpenAsync([account], 500));
        Assert.Equal(500, await client.GetBalanceAsync(account));
    }
}
