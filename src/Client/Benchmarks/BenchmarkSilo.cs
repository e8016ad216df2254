using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Roundabout.Client.Benchmarks;

/// <summary>A fresh silo in this process on random localhost ports, and its co-hosted client.</summary>
public sealed class BenchmarkSilo : IAsyncDisposable
{
    private readonly IHost _host;

    private BenchmarkSilo(IHost host) => _host = host;

    public IGrainFactory Grains => _host.Services.GetRequiredService<IGrainFactory>();

    public ITransactionClient Transactions => _host.Services.GetRequiredService<ITransactionClient>();

    public static async Task<BenchmarkSilo> StartAsync(TransactionSystem system)
    {
        var builder = Embedded.CommandHost.CreateBuilder(verbose: false);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddFilter("Orleans", LogLevel.Error);
        builder.UseOrleans(silo =>
        {
            silo.UseLocalhostClustering(siloPort: Random.Shared.Next(20_000, 30_000), gatewayPort: Random.Shared.Next(30_000, 40_000));
            system.Configure(silo);
        });
        var host = builder.Build();
        await host.StartAsync();
        return new BenchmarkSilo(host);
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
