using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Roundabout.Silo.Hosting;

namespace Roundabout.Client.Commands;

/// <summary>`roundabout silo`: a silo in the foreground, so a cluster of processes can be started by hand.</summary>
internal static class SiloCommand
{
    public static Command Create()
    {
        var data = new Option<string>("--data") { Description = "Data directory of this silo's log", DefaultValueFactory = _ => "./data" }.NonEmptyPath();
        var siloPort = new Option<int>("--silo-port") { Description = "Silo-to-silo port (refused when in use)", DefaultValueFactory = _ => 11111 }.Port();
        var gatewayPort = new Option<int>("--gateway-port") { Description = "Client gateway port (refused when in use)", DefaultValueFactory = _ => 30000 }.Port();
        var primary = new Option<int?>("--primary-port") { Description = "Silo port of the primary silo, when this one joins another (localhost clustering)" }.Port();
        var postgres = new Option<string>("--postgres") { Description = "Keep the records in this PostgreSQL database (an Npgsql connection string) instead of the log in --data: what every silo of a cluster must share" };
        var verbose = CommandErrors.VerboseOption();
        var command = new Command("silo", "Run a silo in the foreground (Ctrl+C stops it)") { data, siloPort, gatewayPort, primary, postgres, verbose };
        command.RequireDifferent(siloPort, gatewayPort, "ports");
        command.SetAction((parse, token) => CommandErrors.RunAsync(parse.GetValue(verbose), token, async () =>
        {
            // Orleans would share a port in use with the silo there (see ListeningPorts).
            ListeningPorts.EnsureFree(System.Net.IPAddress.Loopback, (parse.GetValue(siloPort), siloPort.Name), (parse.GetValue(gatewayPort), gatewayPort.Name));
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
                var primaryEndpoint = parse.GetValue(primary) is { } port ? new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, port) : null;
                silo.UseLocalhostClustering(parse.GetValue(siloPort), parse.GetValue(gatewayPort), primaryEndpoint);
                if (parse.GetValue(postgres) is { } connectionString)
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
            if (parse.GetValue(primary) is not null && parse.GetValue(postgres) is null)
            {
                Console.Error.WriteLine("warning: each silo keeps its own embedded log, and a grain may activate on either silo; give every silo of a cluster the same --postgres database, or use several silos for trying out membership only, not for data you keep.");
            }

            var dataIn = parse.GetValue(postgres) is { } database
                ? $"PostgreSQL database {new Npgsql.NpgsqlConnectionStringBuilder(database) { Password = null }.ConnectionString}"
                : Path.GetFullPath(parse.GetValue(data)!);
            Console.WriteLine($"silo on port {parse.GetValue(siloPort)}, gateway {parse.GetValue(gatewayPort)}, data in {dataIn}; Ctrl+C stops it");

            // Ctrl+C (the token) is how this command is meant to end: a clean stop, exit 0. A data
            // directory that cannot be used (held by another process) is one line, through CommandErrors.
            var host = builder.Build();
            host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStarted.Register(() => Volatile.Write(ref started, true));
            await host.RunAsync(token);
            return CommandErrors.Ok;
        }));
        return command;
    }
}
