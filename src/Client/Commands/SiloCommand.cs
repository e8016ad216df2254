using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Roundabout.Silo.Hosting;
using Roundabout.Silo.Persistence.FileLog;
using Roundabout.Silo.Persistence.Postgres;

namespace Roundabout.Client.Commands;

/// <summary>
/// `roundabout silo`: a silo in the foreground, so a cluster of processes can be started by hand:
/// on one machine with the embedded log and localhost clustering, or on any hosts with PostgreSQL.
/// </summary>
internal static class SiloCommand
{
    public static Command Create()
    {
        var data = new Option<string>("--data") { Description = "Data directory of this silo's log", DefaultValueFactory = _ => "./data" }.NonEmptyPath();
        var siloPort = new Option<int>("--silo-port") { Description = "Silo-to-silo port (refused when in use)", DefaultValueFactory = _ => 11111 }.Port();
        var gatewayPort = new Option<int>("--gateway-port") { Description = "Client gateway port (refused when in use)", DefaultValueFactory = _ => 30000 }.Port();
        var primary = new Option<int?>("--primary-port") { Description = "Silo port of the silo this one joins on this machine (localhost clustering, without --postgres)" }.Port();
        var postgres = new Option<string>("--postgres") { Description = "Keep the records and the cluster's membership in this PostgreSQL database (an Npgsql connection string): give every silo of a cluster the same one, on any host" }.ConnectionString();
        var advertised = new Option<string>("--advertised-address") { Description = "With --postgres: the IP address or host name other silos and clients reach this silo at (default: an IPv4 address of this host that Orleans picks, not a loopback one; name one on hosts with several)" }.NotEmpty().Check(value => SiloClusterSettingsExtensions.AdvertisedAddressProblem(value) is { } problem ? $"{value} {problem}" : null);
        var listen = new Option<string>("--listen-address") { Description = "With --postgres: the one IP address of this host that the silo and gateway ports listen on (default: every address); advertised too unless --advertised-address names another" }.NotEmpty().Check(value => SiloClusterSettingsExtensions.ListenAddressProblem(value) is { } problem ? $"{value} {problem}" : null);
        var clusterId = new Option<string>("--cluster-id") { Description = "The cluster's ClusterId, shared by its silos and clients", DefaultValueFactory = _ => ClusterOptions.DefaultClusterId }.NotEmpty();
        var serviceId = new Option<string>("--service-id") { Description = "The cluster's ServiceId", DefaultValueFactory = _ => ClusterOptions.DefaultServiceId }.NotEmpty();
        var verbose = CommandErrors.VerboseOption();
        var command = new Command("silo", "Run a silo in the foreground (Ctrl+C stops it)") { data, siloPort, gatewayPort, primary, postgres, advertised, listen, clusterId, serviceId, verbose };
        command.RequireDifferent(siloPort, gatewayPort, "ports");
        command.Require(primary, postgres, together: false, "silos that share a PostgreSQL database find each other there");
        command.Require(advertised, postgres, together: true, "localhost clustering always uses the loopback address");
        command.Require(listen, postgres, together: true, "localhost clustering always listens on the loopback address");
        command.Require(data, postgres, together: false, "the data directory holds the embedded log, and this silo keeps its records in the database");
        command.SetAction((parse, token) => CommandErrors.RunAsync(parse.GetValue(verbose), token, async () =>
        {
            var connectionString = parse.GetValue(postgres);
            var settings = new SiloClusterSettings
            {
                SiloPort = parse.GetValue(siloPort),
                GatewayPort = parse.GetValue(gatewayPort),
                PrimarySiloPort = parse.GetValue(primary),
                AdvertisedAddress = parse.GetValue(advertised),
                ListenAddress = parse.GetValue(listen),
                ClusterId = parse.GetValue(clusterId)!,
                ServiceId = parse.GetValue(serviceId)!,
            };

            // Looked up here rather than when the options are parsed: Ctrl+C stops a lookup that hangs.
            if (settings.AdvertisedAddress is { } name)
            {
                var (address, problem) = await SiloClusterSettingsExtensions.ResolveAdvertisedAddressAsync(name, token);
                if (address is null)
                {
                    throw new ArgumentException($"{advertised.Name} {name} {problem}");
                }

                if (settings.ListenAddress is { } one && SiloClusterSettingsExtensions.ListenAndAdvertisedProblem(System.Net.IPAddress.Parse(one), address, advertised.Name) is { } mismatch)
                {
                    throw new ArgumentException($"{listen.Name} {one} {mismatch}");
                }

                // The silo takes the address found here: no second lookup, which could differ or hang.
                settings.AdvertisedAddress = address.ToString();
            }

            // Before the silo starts, rather than once it has started and opens its log or database.
            if (connectionString is null)
            {
                DataDirectoryPath.ThrowIfBlocked(parse.GetValue(data)!);
                DataDirectoryPath.ThrowIfInUse(parse.GetValue(data)!);
            }
            else
            {
                await ClusterUnreachableException.ThrowIfDatabaseUnreachableAsync(connectionString, token);
            }

            // Orleans would share a port in use with the silo there (see ListeningPorts).
            ListeningPorts.EnsureFree(settings.ListenAddress(connectionString), (settings.SiloPort, siloPort.Name), (settings.GatewayPort, gatewayPort.Name));
            var builder = Embedded.EmbeddedHost.CreateBuilder(parse.GetValue(verbose));
            var started = false;
            if (!parse.GetValue(verbose))
            {
                // Orleans logs a start that fails (each lifecycle stage's error, then "Exception
                // during Silo.Start", with the whole exception) before the start throws it, and the
                // command reports that in one line: muted until the silo has started.
                foreach (var category in (string[])["Orleans.Runtime.SiloLifecycleSubject", "Orleans.Runtime.Silo"])
                {
                    builder.Logging.AddFilter(category, level => level >= LogLevel.Information && (level < LogLevel.Error || Volatile.Read(ref started)));
                }
            }

            builder.UseOrleans(silo =>
            {
                silo.UseClusterSettings(settings, connectionString);
                if (connectionString is not null)
                {
                    silo.UsePostgres(options => options.ConnectionString = connectionString);
                }
                else
                {
                    silo.UseFileLog(options => options.DataDirectory = parse.GetValue(data)!);
                }

                silo.AddRoundabout();
                silo.AddRoundaboutGrainStorage();
            });
            if (settings.PrimarySiloPort is { } primaryPort)
            {
                await PrimarySiloProbe.WaitUntilListeningAsync(primaryPort, PrimarySiloProbe.Patience, token);
                Console.Error.WriteLine("warning: each silo keeps its own embedded log, and a grain may activate on either silo; for data you keep, start every silo of a cluster with the same --postgres database instead (--primary-port is for trying out membership).");
            }

            // Ctrl+C (the token) is how this command is meant to end: a clean stop, exit 0. A data
            // directory that cannot be used (held by another process) is one line, through CommandErrors.
            var host = builder.Build();
            var endpoint = host.Services.GetRequiredService<IOptions<EndpointOptions>>().Value;
            var dataIn = connectionString is not null
                ? $"records and membership in PostgreSQL database {PostgresConnectionStrings.Describe(connectionString)}"
                : $"data in {Path.GetFullPath(parse.GetValue(data)!)}";
            Console.WriteLine($"silo {endpoint.AdvertisedIPAddress}:{settings.SiloPort}, gateway {settings.GatewayPort}, cluster '{settings.ClusterId}', {dataIn}; Ctrl+C stops it");
            host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStarted.Register(() => Volatile.Write(ref started, true));
            await host.RunAsync(token);
            return CommandErrors.Ok;
        }));
        return command;
    }
}
