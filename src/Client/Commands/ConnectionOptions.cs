using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Roundabout.Client.Embedded;
using Roundabout.Client.Library;
using Roundabout.Silo.Persistence.Postgres;

namespace Roundabout.Client.Commands;

/// <summary>
/// The connection options every command that talks to Roundabout shares: an embedded silo on
/// <c>--data</c> (the default), or a cluster through <c>--gateway</c> or the PostgreSQL database
/// that holds its membership (<c>--postgres</c>).
/// </summary>
internal sealed class ConnectionOptions
{
    public Option<string> Data { get; } = new Option<string>("--data") { Description = "Data directory of the embedded silo (used when neither --gateway nor --postgres is given)", DefaultValueFactory = _ => "./data" }.NonEmptyPath();

    public Option<string[]> Gateways { get; } = new Option<string[]>("--gateway") { Description = "A silo gateway to connect to, host:port (repeatable); without it an embedded silo runs in this process", AllowMultipleArgumentsPerToken = true }
        .Check(gateways => gateways.FirstOrDefault(gateway => ParseGateway(gateway) is null) is { } bad ? $"'{bad}' is not host:port (for example localhost:30000)." : null);

    public Option<string> Postgres { get; } = new Option<string>("--postgres") { Description = "The PostgreSQL database (an Npgsql connection string) where the cluster's silos keep their membership: the client finds the gateways there, and follows silos that come and go" }.ConnectionString();

    public Option<string> ClusterId { get; } = new Option<string>("--cluster-id") { Description = "The cluster's ClusterId (a silo refuses a client of another cluster)", DefaultValueFactory = _ => "default" }.NotEmpty();

    public Option<string> ServiceId { get; } = new Option<string>("--service-id") { Description = "The cluster's ServiceId", DefaultValueFactory = _ => "default" }.NotEmpty();

    public Option<bool> Verbose { get; } = new("--verbose") { Description = "Show the full detail of errors" };

    /// <summary>How long a client waits for a gateway to accept it.</summary>
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(15);

    /// <summary>The pause before another attempt to connect.</summary>
    private static readonly TimeSpan ConnectRetryDelay = TimeSpan.FromSeconds(1);

    public void AddTo(Command command)
    {
        command.Options.Add(Data);
        command.Options.Add(Gateways);
        command.Options.Add(Postgres);
        command.Require(Postgres, Gateways, together: false, "a client finds its gateways either in the list or in the database");
        command.Require(Data, Gateways, together: false, "the data directory is the embedded silo's, and a cluster's silos keep their own");
        command.Require(Data, Postgres, together: false, "the data directory is the embedded silo's, and the cluster keeps its records in the database");
        command.Options.Add(ClusterId);
        command.Options.Add(ServiceId);
        command.Options.Add(Verbose);
    }

    /// <param name="needsExistingData">
    /// The command only reads, or changes only what must exist already (a transfer between open
    /// accounts, the deletion of a record): an embedded silo's --data that does not exist is
    /// refused, since it could only be a mistyped path (the silo would create it, and the command
    /// would report an empty bank or a missing record as if that were the answer, leaving an empty
    /// store behind).
    /// </param>
    public async Task<Connection> ConnectAsync(ParseResult parse, CancellationToken cancellationToken, bool needsExistingData = false)
    {
        var gateways = parse.GetValue(Gateways) ?? [];
        var postgres = parse.GetValue(Postgres);
        if (gateways.Length == 0 && postgres is null)
        {
            var data = parse.GetValue(Data)!;
            if (needsExistingData && File.Exists(data))
            {
                throw new ArgumentException($"--data {data} is a file, not a directory: give the directory the data was written to.");
            }

            if (needsExistingData && !Directory.Exists(data))
            {
                throw new ArgumentException($"--data {data} does not exist, so there is nothing there yet: check the path (or write something there first, e.g. `roundabout bank init --data {data}`).");
            }

            var silo = await EmbeddedSilo.StartAsync(parse.GetValue(Data)!, parse.GetValue(Verbose), cancellationToken);
            return new Connection(silo.Roundabout, silo);
        }

        // Malformed input was refused while the command line was parsed (the checks above).
        var addresses = gateways.Select(gateway => ParseGateway(gateway)!.Value).ToArray();
        var endpoints = new IPEndPoint[addresses.Length];
        for (var i = 0; i < addresses.Length; i++)
        {
            endpoints[i] = await ResolveAsync(addresses[i].Host, addresses[i].Port, cancellationToken);
        }

        var where = postgres is null
            ? string.Join(", ", gateways)
            : $"the gateways listed in PostgreSQL database {PostgresConnectionStrings.Describe(postgres)}";
        if (postgres is not null)
        {
            await ThrowIfDatabaseUnreachableAsync(postgres, where, cancellationToken);
        }

        // Set when the retries below ran out of time: whatever Orleans threw last, the cluster did
        // not answer in time.
        var outOfTime = false;
        var builder = Embedded.EmbeddedHost.CreateBuilder(parse.GetValue(Verbose));
        builder.Logging.SetMinimumLevel(parse.GetValue(Verbose) ? LogLevel.Warning : LogLevel.Critical);
        builder.UseOrleansClient(client =>
        {
            if (postgres is null)
            {
                client.UseStaticClustering(endpoints);
            }
            else
            {
                client.UsePostgresClustering(postgres);
            }

            client.Configure<ClusterOptions>(options =>
            {
                options.ClusterId = parse.GetValue(ClusterId)!;
                options.ServiceId = parse.GetValue(ServiceId)!;
            });
            client.AddRoundaboutClient();

            // A cluster still starting lists no gateway yet, and Orleans gives up at once: try again
            // until the connect time-out, as a person would.
            var deadline = DateTime.UtcNow + ConnectTimeout;
            client.UseConnectionRetryFilter(async (_, token) =>
            {
                if (DateTime.UtcNow + ConnectRetryDelay >= deadline)
                {
                    outOfTime = true;
                    return false;
                }

                await Task.Delay(ConnectRetryDelay, token);
                return true;
            });
        });
        var host = builder.Build();
        try
        {
            await host.StartAsync(cancellationToken).WaitAsync(ConnectTimeout, cancellationToken);
        }
        catch (Exception exception)
        {
            host.Dispose();
            if (exception is OperationCanceledException)
            {
                throw;
            }

            // A silo refuses a client of another cluster, and the client only tries again until
            // the time-out: from here that looks just like no silo at all, so both are said.
            // (The service id is not compared when a client connects.)
            var reason = exception switch
            {
                Npgsql.PostgresException { SqlState: Npgsql.PostgresErrorCodes.UndefinedTable } => NoMembership,
                _ when postgres is not null && (outOfTime || exception is TimeoutException) =>
                    $"no silo of cluster '{parse.GetValue(ClusterId)}' (--cluster-id) answered within {ConnectTimeout.TotalSeconds:F0} s: the database lists none as active, or none of those it lists can be reached from here.",
                _ when outOfTime || exception is TimeoutException =>
                    $"no silo answered within {ConnectTimeout.TotalSeconds:F0} s. Either none runs there, or it belongs to another cluster: this client's --cluster-id is '{parse.GetValue(ClusterId)}', and a silo refuses clients whose cluster id is not its own.",
                _ => exception.Message,
            };
            throw new ClusterUnreachableException($"Cannot reach the cluster at {where}: {reason}", exception);
        }

        return new Connection(host.Services.GetRequiredService<RoundaboutClient>(), new HostLifetime(host));
    }

    /// <summary>
    /// Opens a connection to the membership's database first. Orleans' client would retry a
    /// database it cannot reach until the connect time-out, and its last error would read as "no
    /// silo answered"; this says at once that the database itself is the problem, and why. A
    /// database without the membership tables yet is waited for (its first silo may be starting
    /// as the client is), up to the connect time-out.
    /// </summary>
    private static async Task ThrowIfDatabaseUnreachableAsync(string connectionString, string where, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + ConnectTimeout;
        try
        {
            await using var connection = new Npgsql.NpgsqlConnection(connectionString);
            await connection.OpenAsync(cancellationToken);

            // Unquoted in the schema script, so folded to lower case (and found on the search path).
            await using var probe = new Npgsql.NpgsqlCommand("SELECT to_regclass('orleansmembershiptable') IS NOT NULL", connection);
            while (!(bool)(await probe.ExecuteScalarAsync(cancellationToken))!)
            {
                if (DateTime.UtcNow + ConnectRetryDelay >= deadline)
                {
                    throw new ClusterUnreachableException($"Cannot reach the cluster at {where}: {NoMembership}", null);
                }

                await Task.Delay(ConnectRetryDelay, cancellationToken);
            }
        }
        catch (Npgsql.NpgsqlException exception)
        {
            throw ClusterUnreachableException.ForDatabase(connectionString, exception);
        }
    }

    private const string NoMembership = "the database holds no cluster membership; start the silos with --postgres on it first.";

    /// <summary>host:port, or null when <paramref name="text"/> is not that.</summary>
    private static (string Host, int Port)? ParseGateway(string text)
    {
        var separator = text.LastIndexOf(':');
        return separator <= 0 || !int.TryParse(text.AsSpan(separator + 1), out var port) || port is <= 0 or > 65535
            ? null
            : (text[..separator], port);
    }

    /// <summary>A host name that does not resolve is a cluster that cannot be reached, as a port that does not answer is.</summary>
    private static async Task<IPEndPoint> ResolveAsync(string host, int port, CancellationToken cancellationToken)
    {
        if (host == "localhost")
        {
            return new IPEndPoint(IPAddress.Loopback, port);
        }

        if (IPAddress.TryParse(host, out var parsed))
        {
            return new IPEndPoint(parsed, port);
        }

        IPAddress[] addresses;
        try
        {
            addresses = await Dns.GetHostAddressesAsync(host, cancellationToken);
        }
        catch (SocketException exception)
        {
            throw new ClusterUnreachableException($"Cannot reach the cluster at {host}:{port}: the host name does not resolve ({exception.Message}).", exception);
        }

        return addresses.Length > 0
            ? new IPEndPoint(addresses[0], port)
            : throw new ClusterUnreachableException($"Cannot reach the cluster at {host}:{port}: the host name has no address.", null);
    }
}
