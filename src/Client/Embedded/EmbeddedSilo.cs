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

    private EmbeddedSilo(IHost host) => _host = host;

    public IClusterClient Client => _host.Services.GetRequiredService<IClusterClient>();

    public string DataDirectory { get; private init; } = "";

    /// <summary>The typed client over this silo.</summary>
    public Library.RoundaboutClient Roundabout => new(Client, Transactions);

    public IRoundaboutTransactions Transactions => _host.Services.GetRequiredService<IRoundaboutTransactions>();

    /// <param name="dataDirectory">Where the embedded log keeps its data.</param>
    public static async Task<EmbeddedSilo> StartAsync(string dataDirectory, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(dataDirectory);
        var builder = CommandHost.CreateBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddFilter("Orleans", LogLevel.Error);
        builder.UseOrleans(silo =>
        {
            // Ports picked at random so that a demo can run beside a silo started by hand.
            silo.UseLocalhostClustering(siloPort: Random.Shared.Next(20_000, 30_000), gatewayPort: Random.Shared.Next(30_000, 40_000));
            silo.UseFileLog(options => options.DataDirectory = dataDirectory);
            silo.AddRoundabout();
            silo.AddRoundaboutGrainStorage();
        });
        var host = builder.Build();
        await host.StartAsync(cancellationToken);
        return new EmbeddedSilo(host) { DataDirectory = Path.GetFullPath(dataDirectory) };
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        if (_host is IAsyncDisposable disposable)
        {
            await disposable.DisposeAsync();
        }
        else
        {
            _host.Dispose();
        }
    }
}
