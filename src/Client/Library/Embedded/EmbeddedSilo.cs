using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Roundabout.Silo.Hosting;
using Roundabout.Transactions;

namespace Roundabout.Client.Embedded;

/// <summary>A silo in this process, with its co-hosted client: no server to install.</summary>
public sealed class EmbeddedSilo : IAsyncDisposable
{
    private readonly IHost _host;

    private readonly Lazy<Library.RoundaboutClient> _roundabout;

    private EmbeddedSilo(IHost host)
    {
        _host = host;
        _roundabout = new(() => new Library.RoundaboutClient(Client, Transactions));
    }

    public IClusterClient Client => _host.Services.GetRequiredService<IClusterClient>();

    public string DataDirectory { get; private init; } = "";

    /// <summary>The typed client over this silo: one for the silo's life, so its runner's retry count adds up.</summary>
    public Library.RoundaboutClient Roundabout => _roundabout.Value;

    public IRoundaboutTransactions Transactions => _host.Services.GetRequiredService<IRoundaboutTransactions>();

    /// <param name="dataDirectory">Where the embedded log keeps its data.</param>
    /// <param name="verbose">
    /// Also log what a silo reports while it shuts down (see below), and a failed start's errors:
    /// otherwise a start that fails only throws its exception, as the command reports it.
    /// </param>
    /// <param name="cancellationToken">Stops a start under way: what did start is stopped, and the log closed.</param>
    /// <param name="configure">
    /// The application's own configuration of the silo builder (grains' storage, the log's other
    /// options, Orleans' options, services), run after Roundabout's, so what it sets wins. The log's
    /// directory stays <paramref name="dataDirectory"/> whatever it sets.
    /// </param>
    public static async Task<EmbeddedSilo> StartAsync(string dataDirectory, bool verbose = false, CancellationToken cancellationToken = default, Action<ISiloBuilder>? configure = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(dataDirectory);
        Silo.Persistence.FileLog.DataDirectoryPath.ThrowIfBlocked(dataDirectory);
        Silo.Persistence.FileLog.DataDirectoryPath.ThrowIfInUse(dataDirectory);

        var builder = EmbeddedHost.CreateBuilder(verbose);
        // Quiet unless --verbose: a silo that stops while its co-hosted client's last calls are
        // still being addressed logs them with stack traces (SiloUnavailableException "is shutting
        // down" from Orleans.Messaging, a grain's call failing from Orleans.Grain, the retries
        // giving up from Polly, a background call of ours that a stopping silo refused): after a
        // command that succeeded, that is noise. The calls' own callers still see any failure, and
        // what stops the store (logged as critical) still shows.
        builder.Logging.SetMinimumLevel(verbose ? LogLevel.Warning : LogLevel.Error);
        builder.Logging.AddFilter("Orleans", verbose ? LogLevel.Error : LogLevel.None);
        builder.Logging.AddFilter("Polly", verbose ? LogLevel.Warning : LogLevel.None);

        builder.UseOrleans(silo =>
        {
            // Free ports the system hands out, so that a demo can run beside a silo started by hand
            // (and beside other embedded silos: ports picked at random now and then collided).
            silo.UseLocalhostClustering(siloPort: FreePort(), gatewayPort: FreePort());
            silo.UseFileLog(options => options.DataDirectory = dataDirectory);
            silo.AddRoundabout();
            silo.AddRoundaboutGrainStorage();
            if (configure is not null)
            {
                configure(silo);

                // The directory checked above, and reported by DataDirectory, is the one the log uses.
                silo.UseFileLog(options => options.DataDirectory = dataDirectory);
            }
        });
        var host = builder.Build();
        try
        {
            await host.StartAsync(cancellationToken);
        }
        catch
        {
            // Cancelled or failed half-way: stop what did start, so that the log is closed.
            try
            {
                await new EmbeddedSilo(host).DisposeAsync();
            }
            catch (Exception)
            {
                // The failure to start is the one to report.
            }

            throw;
        }

        return new EmbeddedSilo(host) { DataDirectory = Path.GetFullPath(dataDirectory) };
    }

    /// <summary>A port the system hands out; a silo on a port in use would share it (see Commands.ListeningPorts).</summary>
    internal static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    public ValueTask DisposeAsync() => EmbeddedHost.StopAndDisposeAsync(_host);
}
