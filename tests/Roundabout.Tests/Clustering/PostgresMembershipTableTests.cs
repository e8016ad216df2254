using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using Orleans.Configuration;
using Orleans.Runtime.Membership;
using Orleans.Runtime.MembershipService;
using Roundabout.Silo.Clustering;
using Roundabout.Tests.Infrastructure;

namespace Roundabout.Tests.Clustering;

/// <summary>
/// Orleans' ADO.NET clustering provider on Roundabout's PostgreSQL schema (postgres-clustering.sql,
/// statements of our own behind the provider's contract) keeps the membership protocol: every change
/// of a silo's row names the table version it read and moves it on, so of two changes from one
/// version exactly one lands; a refused change leaves the table as it was; heartbeats move no
/// version; clusters in one database do not see each other.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresMembershipTableTests(PostgresFixture postgres)
{
    private static readonly DateTime Start = new(2026, 11, 29, 1, 0, 0, DateTimeKind.Utc);

    [Fact]
    public async Task Schema_CreatedBySilosStartingTogether_HoldsEveryStatementTheProviderNeeds()
    {
        var database = await postgres.Server.CreateDatabaseAsync($"membership_{Guid.NewGuid():N}");
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => PostgresClusteringSchema.EnsureCreatedAsync(database, CancellationToken.None)));
        await PostgresClusteringSchema.EnsureCreatedAsync(database, CancellationToken.None);

        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var count = new NpgsqlCommand("SELECT count(*) FROM OrleansQuery", connection);
        Assert.Equal(10L, await count.ExecuteScalarAsync());

        // The provider refuses to start when any statement it needs is missing.
        await Table(database, "c").InitializeMembershipTableAsync(tryInitTableVersion: true);
    }

    [Fact]
    public async Task Rows_ChangeOnlyFromTheVersionTheyWereReadAt()
    {
        var table = await OpenAsync("cluster-a");
        var empty = await table.ReadAllAsync();
        Assert.Empty(empty.Members);
        Assert.Equal(0, empty.Version.Version);

        var first = Entry(11111, SiloStatus.Joining);
        Assert.True(await table.InsertRowAsync(first, empty.Version.Next()));
        Assert.False(await table.InsertRowAsync(first, (await table.ReadAllAsync()).Version.Next()));

        // A second silo that read version 0 too is refused, and changes nothing.
        var second = Entry(11112, SiloStatus.Joining);
        Assert.False(await table.InsertRowAsync(second, empty.Version.Next()));
        var afterRefusal = await table.ReadAllAsync();
        Assert.Equal(1, afterRefusal.Version.Version);
        Assert.Single(afterRefusal.Members);

        Assert.True(await table.InsertRowAsync(second, afterRefusal.Version.Next()));
        var two = await table.ReadAllAsync();
        Assert.Equal(2, two.Version.Version);
        Assert.Equal([11111, 11112], two.Members.Select(member => member.Item1.SiloAddress.Endpoint.Port).Order());

        // Declared dead, with a suspicion, from a stale version: refused; from the current one: done.
        var dead = Entry(11111, SiloStatus.Dead);
        dead.SuspectTimes = [Tuple.Create(second.SiloAddress, Start.AddSeconds(5))];
        Assert.False(await table.UpdateRowAsync(dead, RowETag(afterRefusal, first), afterRefusal.Version.Next()));
        Assert.Equal(SiloStatus.Joining, Member(await table.ReadRowAsync(first.SiloAddress)).Status);
        Assert.True(await table.UpdateRowAsync(dead, RowETag(two, first), two.Version.Next()));
        var read = Member(await table.ReadRowAsync(first.SiloAddress));
        Assert.Equal(SiloStatus.Dead, read.Status);
        var suspicion = Assert.Single(read.SuspectTimes!);
        Assert.Equal(second.SiloAddress, suspicion.Item1);
        Assert.Equal(Start.AddSeconds(5), suspicion.Item2);
        Assert.Equal(first.HostName, read.HostName);
        Assert.Equal(first.ProxyPort, read.ProxyPort);
        Assert.Equal(first.StartTime, read.StartTime);

        // An update of a silo that has no row is refused, and moves no version.
        var current = await table.ReadAllAsync();
        Assert.False(await table.UpdateRowAsync(Entry(11113, SiloStatus.Active), current.Version.VersionEtag, current.Version.Next()));
        Assert.Equal(3, (await table.ReadAllAsync()).Version.Version);

        // Heartbeats change the time only.
        var alive = Entry(11112, SiloStatus.Joining);
        alive.IAmAliveTime = Start.AddMinutes(3);
        await table.UpdateIAmAliveAsync(alive);
        var afterHeartbeat = await table.ReadRowAsync(second.SiloAddress);
        Assert.Equal(3, afterHeartbeat.Version.Version);
        Assert.Equal(Start.AddMinutes(3), Member(afterHeartbeat).IAmAliveTime);

        // Another silo's older copy of the row (its heartbeat at Start) does not move it back.
        var active = Entry(11112, SiloStatus.Active);
        Assert.True(await table.UpdateRowAsync(active, RowETag(afterHeartbeat, active), afterHeartbeat.Version.Next()));
        var afterUpdate = Member(await table.ReadRowAsync(second.SiloAddress));
        Assert.Equal(SiloStatus.Active, afterUpdate.Status);
        Assert.Equal(Start.AddMinutes(3), afterUpdate.IAmAliveTime);
    }

    [Fact]
    public async Task Schema_ReplacesItsOwnEarlierStatements_AndKeepsOthersOwn()
    {
        var database = await CreateDatabaseAsync();
        await ExecuteAsync(database, "UPDATE OrleansQuery SET QueryText = '-- roundabout (an earlier version)' WHERE QueryKey = 'GatewaysQueryKey'");
        await ExecuteAsync(database, "UPDATE OrleansQuery SET QueryText = '-- the administrator''s own' || QueryText WHERE QueryKey = 'MembershipReadAllKey'");

        await PostgresClusteringSchema.EnsureCreatedAsync(database, CancellationToken.None);

        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var read = new NpgsqlCommand("SELECT QueryKey, QueryText FROM OrleansQuery WHERE QueryKey IN ('GatewaysQueryKey', 'MembershipReadAllKey')", connection);
        var texts = new Dictionary<string, string>();
        await using (var reader = await read.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                texts[reader.GetString(0)] = reader.GetString(1);
            }
        }

        Assert.Contains("ProxyPort > 0", texts["GatewaysQueryKey"], StringComparison.Ordinal);
        Assert.StartsWith("-- the administrator's own", texts["MembershipReadAllKey"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConcurrentInserts_FromOneVersion_ExactlyOneLands()
    {
        var table = await OpenAsync("cluster-race");
        var version = (await table.ReadAllAsync()).Version.Next();
        var outcomes = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => table.InsertRowAsync(Entry(12000 + i, SiloStatus.Joining), version)));
        Assert.Single(outcomes, landed => landed);
        var after = await table.ReadAllAsync();
        Assert.Single(after.Members);
        Assert.Equal(1, after.Version.Version);
    }

    [Fact]
    public async Task Gateways_AreTheActiveSilosThatAcceptClients_OfThisClusterOnly()
    {
        var database = await CreateDatabaseAsync();
        var table = await OpenAsync("cluster-g", database);
        var other = await OpenAsync("cluster-other", database);
        foreach (var (port, status, proxy) in new[] { (11111, SiloStatus.Active, 30000), (11112, SiloStatus.Joining, 30001), (11113, SiloStatus.Active, 0), (11114, SiloStatus.Dead, 30003) })
        {
            var entry = Entry(port, status);
            entry.ProxyPort = proxy;
            Assert.True(await table.InsertRowAsync(entry, (await table.ReadAllAsync()).Version.Next()));
        }

        // Two more dead silos, as membership leaves them: declared dead with votes. One last beat
        // after the cut below, so it stays.
        foreach (var (port, lastBeat) in new[] { (11116, Start), (11117, Start.AddDays(2)) })
        {
            var entry = Entry(port, SiloStatus.Joining);
            entry.IAmAliveTime = lastBeat;
            Assert.True(await table.InsertRowAsync(entry, (await table.ReadAllAsync()).Version.Next()));
            var read = await table.ReadAllAsync();
            var dead = Entry(port, SiloStatus.Dead);
            dead.IAmAliveTime = lastBeat;
            dead.SuspectTimes = [Tuple.Create(SiloAddress.New(new IPEndPoint(IPAddress.Loopback, 11111), 7), Start.AddSeconds(30))];
            Assert.True(await table.UpdateRowAsync(dead, RowETag(read, dead), read.Version.Next()));
        }

        Assert.True(await other.InsertRowAsync(Entry(11115, SiloStatus.Active), (await other.ReadAllAsync()).Version.Next()));

        var gateways = Gateways(database, "cluster-g");
        await gateways.InitializeGatewayListProvider();
        var uri = Assert.Single(await gateways.GetGateways());
        Assert.Equal(30000, uri.Port);

        // Dead rows older than the cut are removed, with their votes or without; active ones stay,
        // however old their heartbeat, and so does a dead one that beat after the cut.
        await table.CleanupDefunctSiloEntriesAsync(Start.AddDays(1));
        Assert.Equal([11111, 11112, 11113, 11117], (await table.ReadAllAsync()).Members.Select(member => member.Item1.SiloAddress.Endpoint.Port).Order());

        await table.DeleteMembershipTableEntriesAsync("cluster-g");
        Assert.Single((await other.ReadAllAsync()).Members);
    }

    private static async Task ExecuteAsync(string database, string sql)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private async Task<string> CreateDatabaseAsync()
    {
        var database = await postgres.Server.CreateDatabaseAsync($"membership_{Guid.NewGuid():N}");
        await PostgresClusteringSchema.EnsureCreatedAsync(database, CancellationToken.None);
        return database;
    }

    private async Task<IMembershipTable> OpenAsync(string clusterId, string? database = null)
    {
        var table = Table(database ?? await CreateDatabaseAsync(), clusterId);
        await table.InitializeMembershipTableAsync(tryInitTableVersion: true);
        return table;
    }

    private static AdoNetClusteringTable Table(string database, string clusterId) => new(
        new ServiceCollection().BuildServiceProvider(),
        Options.Create(new ClusterOptions { ClusterId = clusterId, ServiceId = "s" }),
        Options.Create(new AdoNetClusteringSiloOptions { Invariant = PostgresClusteringExtensions.NpgsqlInvariant, ConnectionString = database }),
        NullLogger<AdoNetClusteringTable>.Instance);

    private static AdoNetGatewayListProvider Gateways(string database, string clusterId) => new(
        NullLogger<AdoNetGatewayListProvider>.Instance,
        new ServiceCollection().BuildServiceProvider(),
        Options.Create(new AdoNetClusteringClientOptions { Invariant = PostgresClusteringExtensions.NpgsqlInvariant, ConnectionString = database }),
        Options.Create(new GatewayOptions()),
        Options.Create(new ClusterOptions { ClusterId = clusterId, ServiceId = "s" }));

    /// <summary>The row's ETag as the provider reported it with <paramref name="data"/>.</summary>
    private static string RowETag(MembershipTableData data, MembershipEntry entry) =>
        data.Members.Single(member => member.Item1.SiloAddress.Equals(entry.SiloAddress)).Item2;

    private static MembershipEntry Member(MembershipTableData data) => Assert.Single(data.Members).Item1;

    private static MembershipEntry Entry(int port, SiloStatus status) => new()
    {
        SiloAddress = SiloAddress.New(new IPEndPoint(IPAddress.Loopback, port), 7),
        SiloName = $"silo-{port}",
        HostName = "test-host",
        Status = status,
        ProxyPort = port + 10_000,
        StartTime = Start,
        IAmAliveTime = Start,
    };
}
