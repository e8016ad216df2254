using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Roundabout.Client.Benchmarks;

/// <summary>A fresh silo in this process on free localhost ports, and its co-hosted client.</summary>
public sealed class BenchmarkSilo : IAsyncDisposable
{
    private readonly IHost _host;

    private BenchmarkSilo(IHost host) => _host = host;

    public IGrainFactory Grains => _host.Services.GetRequiredService<IGrainFactory>();

    public ITransactionClient Transactions => _host.Services.GetRequiredService<ITransactionClient>();

    public static async Task<BenchmarkSilo> StartAsync(TransactionSystem system)
    {
        var builder = Embedded.EmbeddedHost.CreateBuilder(verbose: false);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddFilter("Orleans", LogLevel.Error);
        builder.UseOrleans(silo =>
        {
            // Ports the system hands out: random ones collided now and then, and Orleans then shares a
            // port with the silo already there instead of failing.
            silo.UseLocalhostClustering(siloPort: Embedded.EmbeddedSilo.FreePort(), gatewayPort: Embedded.EmbeddedSilo.FreePort());
            system.Configure(silo);
        });
        var host = builder.Build();
        await host.StartAsync();
        return new BenchmarkSilo(host);
    }

    public ValueTask DisposeAsync() => Embedded.EmbeddedHost.StopAndDisposeAsync(_host);
}
