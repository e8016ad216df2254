using Orleans.Transactions;
using Orleans.TestingHost;
using Roundabout.Hosting;
using Roundabout.Records;
using Roundabout.Silo.Hosting;
using Roundabout.Tests.Infrastructure;

namespace Roundabout.Tests.Cluster;

/// <summary>
/// A silo whose PostgreSQL database stops taking connections: a write that certainly did not
/// happen is reported as an abort that took no effect, not "in doubt", and changes nothing.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresOutageTests(PostgresFixture postgres) : IAsyncLifetime
{
    private static readonly TimeSpan Prompt = TimeSpan.FromSeconds(30);

    private readonly string _database = $"outage_{Guid.NewGuid():N}";
    private InProcessTestCluster _cluster = null!;

    private IGrainFactory Grains => _cluster.Client;

    public async Task InitializeAsync()
    {
        var connectionString = await postgres.Server.CreateDatabaseAsync(_database);
        var builder = new InProcessTestClusterBuilder(1);
        builder.ConfigureSilo((_, silo) => silo.UsePostgres(options => options.ConnectionString = connectionString).AddRoundabout());
        builder.ConfigureClient(client => client.UseRoundaboutTransactions());
        _cluster = builder.Build();
        await _cluster.DeployAsync();
    }

    public async Task DisposeAsync()
    {
        await postgres.Server.AdministerAsync($"ALTER DATABASE {_database} ALLOW_CONNECTIONS true");
        await _cluster.DisposeAsync();
    }

    [Fact]
    public async Task DatabaseRefusesConnections_ARecordWriteAbortsHavingTakenNoEffect_NotInDoubt()
    {
        var record = Grains.GetGrain<IRecordGrain>(Keys.New("doc"));
        var spare = Grains.GetGrain<IRecordGrain>(Keys.New("spare"));
        await record.Put([1]);
        await spare.Put([1]);

        await postgres.Server.AdministerAsync($"ALTER DATABASE {_database} ALLOW_CONNECTIONS false", $"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{_database}'");

        // The writer's connection was cut under it, which proves nothing about that write; the
        // store then drops the connection, so the next write has to open one, and cannot.
        await Assert.ThrowsAnyAsync<OrleansTransactionException>(() => spare.Put([2]));
        var refused = await Assert.ThrowsAsync<OrleansTransactionTransientFailureException>(() => record.Put([2]));
        Assert.Contains("nothing took effect", refused.Message, StringComparison.Ordinal);

        await postgres.Server.AdministerAsync($"ALTER DATABASE {_database} ALLOW_CONNECTIONS true");

        // The record reloads from the database (its slot stopped after the failure): still version 1.
        var current = await ReadWhenBackAsync(record);
        Assert.Equal(new byte[] { 1 }, current.Value);
        Assert.Equal(1, current.Version);
        Assert.Equal(2, await record.Put([3]));
    }

    /// <summary>Reads the record, waiting out the activation that stops after the storage failure.</summary>
    private static async Task<VersionedValue> ReadWhenBackAsync(IRecordGrain record)
    {
        var deadline = DateTime.UtcNow + Prompt;
        while (true)
        {
            try
            {
                return await record.Get();
            }
            catch (OrleansTransactionException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }
    }
}
