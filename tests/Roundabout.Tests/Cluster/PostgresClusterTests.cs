using Orleans.Transactions;
using Orleans.TestingHost;
using Roundabout.Accounts;
using Roundabout.Hosting;
using Roundabout.Silo.Hosting;
using Roundabout.Tests.Infrastructure;

namespace Roundabout.Tests.Cluster;

/// <summary>
/// A two-silo cluster whose silos each open their own PostgreSQL store on one database, as silos in
/// separate processes would: transactions across both silos keep the bank's total, and every
/// account's balance is still there after every grain was deactivated and activated again, on
/// whichever silo, and after a silo was killed.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresClusterTests(PostgresFixture postgres) : IAsyncLifetime
{
    private const int Accounts = 10;
    private const long Opening = 1_000;

    private InProcessTestCluster _cluster = null!;

    private IGrainFactory Grains => _cluster.Client;

    public async Task InitializeAsync()
    {
        var database = await postgres.Server.CreateDatabaseAsync($"cluster_{Guid.NewGuid():N}");
        var builder = new InProcessTestClusterBuilder(2);
        builder.ConfigureSilo((_, silo) => silo.UsePostgres(options => options.ConnectionString = database).AddRoundabout());
        builder.ConfigureClient(client => client.UseRoundaboutTransactions());
        _cluster = builder.Build();
        await _cluster.DeployAsync();
    }

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task TransfersOnBothSilos_KeepTheTotal_AndTheBalancesOutliveEveryActivation()
    {
        var accounts = await OpenAccountsAsync();
        var bank = Grains.GetGrain<IBankGrain>(0);

        await RunTransfersAsync(accounts, count: 200);
        var before = await BalancesAsync(accounts);
        Assert.Equal(Accounts * Opening, before.Sum());
        Assert.Equal(Accounts * Opening, await bank.Audit(accounts));

        // Every grain goes; they come back from the database, on either silo.
        await Grains.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);
        Assert.Equal(before, await BalancesAsync(accounts));
        Assert.Equal(Accounts * Opening, await bank.Audit(accounts));
    }

    [Fact]
    public async Task ASiloIsKilled_TheOtherFindsEveryAcknowledgedBalance()
    {
        var accounts = await OpenAccountsAsync();
        await RunTransfersAsync(accounts, count: 100);
        var before = await BalancesAsync(accounts);

        await _cluster.KillSiloAsync(_cluster.Silos[1]);

        Assert.Equal(before, await BalancesAsync(accounts));
        await RunTransfersAsync(accounts, count: 50);
        Assert.Equal(Accounts * Opening, await Grains.GetGrain<IBankGrain>(0).Audit(accounts));
    }

    private async Task<string[]> OpenAccountsAsync()
    {
        var accounts = Enumerable.Range(0, Accounts).Select(_ => Keys.New("acct")).ToArray();
        await Task.WhenAll(accounts.Select(account => Grains.GetGrain<IAccountGrain>(account).Deposit(Opening)));
        return accounts;
    }

    /// <summary>Random transfers, 8 at a time; a conflict is retried, so each one ends committed.</summary>
    private async Task RunTransfersAsync(string[] accounts, int count)
    {
        var bank = Grains.GetGrain<IBankGrain>(0);
        var random = new Random(count);
        var transfers = Enumerable.Range(0, count).Select(_ => (From: random.Next(Accounts), Offset: random.Next(1, Accounts), Amount: random.Next(1, 10))).ToList();
        using var gate = new SemaphoreSlim(8);
        await Task.WhenAll(transfers.Select(async transfer =>
        {
            await gate.WaitAsync();
            try
            {
                while (true)
                {
                    try
                    {
                        await bank.Transfer(accounts[transfer.From], accounts[(transfer.From + transfer.Offset) % Accounts], transfer.Amount);
                        return;
                    }
                    catch (OrleansTransactionTransientFailureException)
                    {
                        // Nothing took effect: run it again.
                    }
                }
            }
            finally
            {
                gate.Release();
            }
        }));
    }

    private async Task<long[]> BalancesAsync(string[] accounts) =>
        await Task.WhenAll(accounts.Select(account => Grains.GetGrain<IAccountGrain>(account).GetBalance()));
}
