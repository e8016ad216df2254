using System.Diagnostics;
using System.Globalization;
using Npgsql;
using Roundabout.Client.Embedded;
using Roundabout.Tests.Infrastructure;

namespace Roundabout.Tests.Cli;

/// <summary>
/// `roundabout silo --postgres` as a person starts a cluster by hand: two processes given nothing
/// but the database (no silo named to the other) form one cluster, and the `bank` verbs reach it
/// through the same database.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresSiloCommandTests(PostgresFixture postgres)
{
    [Fact]
    public async Task TwoSilosGivenOnlyTheDatabase_FormOneCluster_ThatTheBankVerbsReachThroughIt()
    {
        var database = await postgres.Server.CreateDatabaseAsync($"cli_{Guid.NewGuid():N}");
        var clusterId = $"cli-{Guid.NewGuid():N}";
        // One silo names the address it is reached at, the other the one address it listens on (and so is reached at).
        var silos = new[] { StartSilo(database, clusterId, "--advertised-address"), StartSilo(database, clusterId, "--listen-address") };
        try
        {
            await WaitForActiveSilosAsync(database, clusterId, silos, 2);
            // Both are reached at the loopback address: the one given --listen-address only, too.
            Assert.Equal(["127.0.0.1", "127.0.0.1"], await ActiveSiloAddressesAsync(database, clusterId));
            string[] cluster = ["--postgres", database, "--cluster-id", clusterId];

            var init = await CliRunner.RunAsync(["bank", "init", "--accounts", "4", .. cluster]);
            Assert.True(init.Code == 0, init.Error);
            var transfer = await CliRunner.RunAsync(["bank", "transfer", "--from", "account-0", "--to", "account-3", "--amount", "250", .. cluster]);
            Assert.True(transfer.Code == 0, transfer.Error);
            var balance = await CliRunner.RunAsync(["bank", "balance", "--account", "account-3", .. cluster]);
            Assert.Contains("1250", balance.Output.Replace(",", "", StringComparison.Ordinal), StringComparison.Ordinal);
            var audit = await CliRunner.RunAsync(["bank", "audit", .. cluster]);
            Assert.Equal("4 accounts, total 4000", audit.Output.Trim());

            // The same database, another cluster id: none of its silos is listed.
            var other = await CliRunner.RunAsync("bank", "audit", "--postgres", database, "--cluster-id", "another");
            Assert.Equal(6, other.Code);
            Assert.Contains("no silo of cluster 'another' (--cluster-id) answered within 15 s", CliRunner.ErrorLine(other.Error), StringComparison.Ordinal);
        }
        finally
        {
            foreach (var silo in silos)
            {
                silo.Kill(entireProcessTree: true);
                await silo.WaitForExitAsync();
                silo.Dispose();
            }
        }
    }

    [Fact]
    public async Task ClientOfADatabaseNoSiloHasUsed_IsToldSo()
    {
        var database = await postgres.Server.CreateDatabaseAsync($"cli_{Guid.NewGuid():N}");

        var (code, _, error) = await CliRunner.RunAsync("bank", "audit", "--postgres", database);

        Assert.Equal(6, code);
        Assert.EndsWith("the database holds no cluster membership; start the silos with --postgres on it first.", CliRunner.ErrorLine(error), StringComparison.Ordinal);
    }

    /// <summary>A client, and a silo before it starts (it said "Started silo", then NpgsqlException's own words), in the same line.</summary>
    [Theory]
    [InlineData("Host=127.0.0.1;Port={closed};Username=roundabout;Database=nowhere", "Failed to connect", false)]
    [InlineData("{server};Database=no_such_database", "3D000", false)]
    [InlineData("Host=127.0.0.1;Port={closed};Username=roundabout;Password=s3cret;Database=nowhere", "Failed to connect", true)]
    [InlineData("{server};Database=no_such_database", "3D000", true)]
    public async Task ClientOrSiloOfADatabaseItCannotReach_IsToldSoAtOnce(string connectionString, string expectedCause, bool silo)
    {
        var given = connectionString
            .Replace("{closed}", EmbeddedSilo.FreePort().ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("{server}", postgres.Server.ConnectionString.Replace(";Database=postgres", "", StringComparison.Ordinal), StringComparison.Ordinal);
        string[] command = silo
            ? ["silo", "--postgres", given, "--silo-port", EmbeddedSilo.FreePort().ToString(CultureInfo.InvariantCulture), "--gateway-port", EmbeddedSilo.FreePort().ToString(CultureInfo.InvariantCulture)]
            : ["bank", "audit", "--postgres", given];

        var (code, output, error) = await CliRunner.RunAsync(command);

        Assert.Equal(6, code);
        Assert.DoesNotContain("Started silo", output);
        Assert.DoesNotContain("s3cret", error);
        var line = CliRunner.ErrorLine(error);
        Assert.StartsWith("error: Cannot reach the cluster's PostgreSQL database", line, StringComparison.Ordinal);
        Assert.Contains(expectedCause, line, StringComparison.Ordinal);
    }

    private static Process StartSilo(string database, string clusterId, string loopbackOption) => CliRunner.StartInBackground(
        null,
        "silo", "--postgres", database, "--cluster-id", clusterId, loopbackOption, "127.0.0.1",
        "--silo-port", EmbeddedSilo.FreePort().ToString(CultureInfo.InvariantCulture),
        "--gateway-port", EmbeddedSilo.FreePort().ToString(CultureInfo.InvariantCulture));

    private static async Task<string[]> ActiveSiloAddressesAsync(string database, string clusterId)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var query = new NpgsqlCommand("SELECT Address FROM OrleansMembershipTable WHERE DeploymentId = $1 AND Status = 3", connection);
        query.Parameters.AddWithValue(clusterId);
        var addresses = new List<string>();
        await using var reader = await query.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            addresses.Add(reader.GetString(0));
        }

        return [.. addresses];
    }

    private static async Task WaitForActiveSilosAsync(string database, string clusterId, Process[] silos, int count)
    {
        var deadline = Stopwatch.StartNew();
        await using var connection = new NpgsqlConnection(database);
        while (true)
        {
            Assert.All(silos, silo => Assert.False(silo.HasExited, "a silo exited"));
            try
            {
                if (connection.State != System.Data.ConnectionState.Open)
                {
                    await connection.OpenAsync();
                }

                await using var active = new NpgsqlCommand("SELECT count(*) FROM OrleansMembershipTable WHERE DeploymentId = $1 AND Status = 3", connection);
                active.Parameters.AddWithValue(clusterId);
                if ((long)(await active.ExecuteScalarAsync())! == count)
                {
                    return;
                }
            }
            catch (PostgresException exception) when (exception.SqlState == PostgresErrorCodes.UndefinedTable)
            {
                // The first silo has not created the tables yet.
            }

            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(90), $"{count} silos did not become active within 90 s");
            await Task.Delay(250);
        }
    }
}
