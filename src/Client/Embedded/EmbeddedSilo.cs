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

    public IRoundaboutTransactions Transactions => _host.Services.GetRequiredService<IRoundaboutTransactions>();

    public static async Task<EmbeddedSilo> StartAsync(CancellationToken cancellationToken = default)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.UseOrleans(silo =>
        {
            // Ports picked at random so that a demo can run beside a silo started by hand.
            silo.UseLocalhostClustering(siloPort: Random.Shared.Next(20_000, 30_000), gatewayPort: Random.Shared.Next(30_000, 40_000));
            silo.AddRoundabout();
        });
        var host = builder.Build();
        await host.StartAsync(cancellationToken);
        return new EmbeddedSilo(host);
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
