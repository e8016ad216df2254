using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Npgsql;
using Orleans.Configuration;
using Roundabout.Client.Library;
using Roundabout.Tests.Crash;
using Roundabout.Tests.Infrastructure;
using Roundabout.Transactions;
using Xunit.Abstractions;

namespace Roundabout.Tests.Clustering;

/// <summary>
/// Three silo processes (src/Silo/Host, configured as the docker-compose file and the Kubernetes
/// manifests configure it) that find each other only through PostgreSQL: records and membership in
/// one database, no silo named to another, the client reading its gateways from the database. One
/// silo is killed with SIGKILL under a transfer load: the others declare it dead and carry on with
/// its grains, a new silo joins, and afterwards nothing acknowledged is lost and nothing is half done
/// (each transfer writes a receipt in the same transaction, as in <see cref="KillLoop"/>).
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresClusterProcessTests(PostgresFixture postgres, ITestOutputHelper output)
{
    private static readonly TimeSpan MembershipChange = TimeSpan.FromSeconds(90);

    /// <summary>
    /// Three processes that start at once, JIT included, beside the rest of the suite on two cores:
    /// CI twice saw one not listed as active after 90 s, with no warning from any silo (its log then
    /// held only warnings, so what it was doing is unknown; the failure now prints each silo's join).
    /// </summary>
    private static readonly TimeSpan FirstJoin = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task SilosFindEachOtherInTheDatabase_SurviveAKilledSilo_AndTakeInANewOne()
    {
        var database = await postgres.Server.CreateDatabaseAsync($"cluster_{Guid.NewGuid():N}");
        var clusterId = $"c{Guid.NewGuid():N}";
        var logFile = Path.Combine(Path.GetTempPath(), $"roundabout-cluster-{Guid.NewGuid():N}.log");
        var silos = new List<SiloProcess>();
        var readyFiles = new List<string>();
        SiloProcess StartSilo()
        {
            var readyFile = Path.Combine(Path.GetTempPath(), $"roundabout-ready-{Guid.NewGuid():N}");
            readyFiles.Add(readyFile);
            var silo = SiloProcess.Start(
            [
                "--Roundabout:Postgres:ConnectionString", database,
                "--Roundabout:Clustering", "Postgres",
                "--Roundabout:ClusterId", clusterId,
                "--Roundabout:AdvertisedAddress", "127.0.0.1",
                "--Roundabout:ReadyFile", readyFile,
                // Failure detection in seconds rather than the default half minute or more.
                "--Roundabout:Membership:ProbeTimeout", "00:00:01",
                "--Roundabout:Membership:NumMissedProbesLimit", "2",
                "--Roundabout:Membership:TableRefreshTimeout", "00:00:02",
                "--Roundabout:Membership:IAmAliveTablePublishTimeout", "00:00:03",
                // How each silo joins and what it sees of the others, for the failure message (the
                // rest stays at Warning).
                "--Logging:LogLevel:Orleans.Runtime.MembershipService", "Information",
            ], logFile);
            silos.Add(silo);
            return silo;
        }

        try
        {
            var (first, victim) = (StartSilo(), StartSilo());
            StartSilo();
            var firstJoin = Stopwatch.StartNew();
            using var client = await first.ConnectAsync(FirstJoin, builder =>
            {
                builder.UsePostgresClustering(database);
                builder.Configure<ClusterOptions>(options => options.ClusterId = clusterId);
                builder.Configure<GatewayOptions>(options => options.GatewayListRefreshPeriod = TimeSpan.FromSeconds(2));
            });
            var grains = client.Services.GetRequiredService<IClusterClient>();
            var transactions = client.Services.GetRequiredService<IRoundaboutTransactions>();
            await WaitForActiveSilosAsync(grains, silos, 3, FirstJoin - firstJoin.Elapsed); // one deadline for both waits

            // The file follows the silo's own lifecycle stage Active, a moment after the membership
            // lists it as active (CI saw one missing when looked for at once).
            var filesDue = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while (!readyFiles.All(File.Exists) && DateTime.UtcNow < filesDue)
            {
                await Task.Delay(100);
            }

            Assert.All(readyFiles, file => Assert.True(File.Exists(file), "a silo in the cluster wrote no readiness file"));

            await KillLoop.OpenAccountsAsync(grains);
            var attempted = new ConcurrentDictionary<Guid, KillLoop.TransferAttempt>();
            var acknowledged = new ConcurrentBag<KillLoop.TransferAttempt>();
            using var stop = new CancellationTokenSource();
            var random = new Random(Environment.TickCount);
            var workers = Enumerable.Range(0, KillLoop.Workers)
                .Select(_ => KillLoop.RunTransfersAsync(grains, transactions, new Random(random.Next()), 0, attempted, acknowledged, stop.Token))
                .ToArray();

            await Task.Delay(TimeSpan.FromSeconds(3));
            var beforeKill = acknowledged.Count;
            victim.Kill();
            await WaitForActiveSilosAsync(grains, silos, 2, MembershipChange);
            var atDeath = acknowledged.Count;
            var patience = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            while (acknowledged.Count <= atDeath + 10 && DateTime.UtcNow < patience)
            {
                await Task.Delay(100);
            }

            var committedAfterDeath = acknowledged.Count > atDeath + 10;
            var afterDeath = acknowledged.Count;

            StartSilo();
            await WaitForActiveSilosAsync(grains, silos, 3, MembershipChange);
            await Task.Delay(TimeSpan.FromSeconds(3));
            await stop.CancelAsync();
            var finished = Task.WhenAll(workers);
            Assert.True(await Task.WhenAny(finished, Task.Delay(TimeSpan.FromSeconds(60))) == finished, "transfers did not finish");
            output.WriteLine($"acknowledged: {beforeKill} before the kill, {atDeath} when the silo was declared dead, {afterDeath} a little later, {acknowledged.Count} in all");

            var history = await KillLoop.ReadBackAsync(grains, attempted, acknowledged);
            Assert.True(committedAfterDeath, $"only {afterDeath - atDeath} transfers committed in the minute after the silo was declared dead");
            var missing = history.Acknowledged.Where(t => !history.Applied.Contains(t.Id)).ToList();
            Assert.True(missing.Count == 0, $"{missing.Count} acknowledged transfers are gone, e.g. {missing.FirstOrDefault()}");
            KillLoop.AssertBalancesMatchReceipts(history);
            await KillLoop.StopQuietlyAsync(client);
        }
        catch
        {
            output.WriteLine(await DescribeMembershipAsync(database, clusterId));
            if (File.Exists(logFile))
            {
                // The log's messages, not the stack frames under them (which filled the last lines before).
                output.WriteLine(string.Join('\n', File.ReadLines(logFile).Where(line => !IsStackFrame(line)).TakeLast(250)));
            }

            throw;
        }
        finally
        {
            foreach (var silo in silos)
            {
                await silo.DisposeAsync();
            }

            KillLoop.TryDelete(logFile);
            readyFiles.ForEach(KillLoop.TryDelete);
        }
    }

    private static string Now() => DateTime.UtcNow.ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture);

    /// <summary>A log line ("[silo :port] message") that is a frame of an exception's stack trace.</summary>
    private static bool IsStackFrame(string line)
    {
        var message = line.StartsWith('[') && line.IndexOf("] ", StringComparison.Ordinal) is var end and > 0 ? line[(end + 2)..] : line;
        return message.TrimStart().StartsWith("at ", StringComparison.Ordinal);
    }

    /// <summary>The cluster's membership rows as the database holds them, for a failure message.</summary>
    private static async Task<string> DescribeMembershipAsync(string database, string clusterId)
    {
        try
        {
            await using var connection = new NpgsqlConnection(database);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand(
                "SELECT Port, Generation, Status, ProxyPort, SuspectTimes, StartTime, IAmAliveTime, now() FROM OrleansMembershipTable WHERE DeploymentId = $1 ORDER BY StartTime",
                connection);
            command.Parameters.AddWithValue(clusterId);
            await using var reader = await command.ExecuteReaderAsync();
            var rows = new List<string>();
            while (await reader.ReadAsync())
            {
                rows.Add($"port {reader.GetInt32(0)} generation {reader.GetInt32(1)}: status {(SiloStatus)reader.GetInt32(2)}, gateway {(reader.IsDBNull(3) ? "none" : reader.GetInt32(3))}, "
                    + $"suspected {(reader.IsDBNull(4) ? "never" : reader.GetString(4))}, started {reader.GetDateTime(5):HH:mm:ss.fff}, alive {reader.GetDateTime(6):HH:mm:ss.fff} (now {reader.GetDateTime(7):HH:mm:ss.fff})");
            }

            return $"membership rows in the database:\n{string.Join('\n', rows)}";
        }
        catch (Exception exception) when (exception is NpgsqlException or InvalidOperationException)
        {
            return $"the membership rows could not be read: {exception.Message}";
        }
    }

    /// <summary>Waits until the cluster's membership lists exactly <paramref name="count"/> active silos.</summary>
    /// <param name="silos">The silo processes started so far: whether each still runs goes into the failure message.</param>
    private async Task WaitForActiveSilosAsync(IGrainFactory grains, IReadOnlyList<SiloProcess> silos, int count, TimeSpan patience)
    {
        var deadline = DateTime.UtcNow + patience;
        var management = grains.GetGrain<IManagementGrain>(0);
        Dictionary<SiloAddress, SiloStatus> hosts = [];
        var answered = "never";
        string? lastFailure = null;
        // Asked at least once, however little of the deadline is left.
        do
        {
            try
            {
                hosts = await management.GetHosts(onlyActive: true);
                answered = Now();
                lastFailure = null;
                if (hosts.Count == count)
                {
                    output.WriteLine($"{Now()}: {count} active silos: {string.Join(", ", hosts.Keys)}");
                    return;
                }
            }
            catch (Exception exception) when (exception is TimeoutException or OrleansMessageRejectionException)
            {
                // The management grain may have lived on the silo that was killed.
                lastFailure = $"{exception.GetType().Name} at {Now()}";
            }

            await Task.Delay(250);
        }
        while (DateTime.UtcNow < deadline);

        Assert.Fail($"the cluster did not reach {count} active silos within {Math.Max(0, patience.TotalSeconds):0} s (last seen: {string.Join(", ", hosts.Keys)}, "
            + $"answered at {answered}{(lastFailure is null ? "" : $", later calls failed: {lastFailure}")}; "
            + $"silo processes: {string.Join(", ", silos.Select(silo => silo.Describe()))})");
    }
}
