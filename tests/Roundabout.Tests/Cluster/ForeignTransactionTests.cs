using System.Text;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Roundabout.Client.Embedded;
using Roundabout.Records;
using Roundabout.Silo.Hosting;
using Roundabout.Tests.Storage;

namespace Roundabout.Tests.Cluster;

/// <summary>
/// A client left on Orleans' own transactions (<c>UseTransactions()</c>) while its silos run
/// Roundabout, as during a migration. Orleans' agent puts the present time where Roundabout's
/// agent puts a read timestamp; read as one, it set a grain's highest read far beyond every
/// timestamp the oracle hands out, and every later write to that grain, from any client,
/// conflicted until the grain deactivated.
/// </summary>
public sealed class ForeignTransactionTests
{
    [Fact]
    public async Task ClientOnOrleansTransactions_WritesNothing_AndLeavesTheGrainWritableForRoundaboutClients()
    {
        using var directory = new TempDataDirectory();
        var gatewayPort = EmbeddedSilo.FreePort();
        var siloBuilder = Host.CreateApplicationBuilder();
        siloBuilder.Logging.ClearProviders();
        siloBuilder.UseOrleans(silo => silo
            .UseLocalhostClustering(siloPort: EmbeddedSilo.FreePort(), gatewayPort: gatewayPort)
            .UseFileLog(options => options.DataDirectory = directory.Path)
            .AddRoundabout());
        using var silo = siloBuilder.Build();
        await silo.StartAsync();
        try
        {
            var clientBuilder = Host.CreateApplicationBuilder();
            clientBuilder.Logging.ClearProviders();
            clientBuilder.UseOrleansClient(client => client.UseLocalhostClustering(gatewayPort).UseTransactions());
            using var orleansClient = clientBuilder.Build();
            await orleansClient.StartAsync();
            var foreignGrains = orleansClient.Services.GetRequiredService<IClusterClient>();
            var foreignTransactions = orleansClient.Services.GetRequiredService<ITransactionClient>();
            var key = $"foreign-{Guid.NewGuid():N}";

            var foreign = await Record.ExceptionAsync(() => foreignTransactions.RunTransaction(
                TransactionOption.Create,
                () => foreignGrains.GetGrain<IRecordGrain>(key).Put(Encoding.UTF8.GetBytes("from Orleans' agent"))));
            await orleansClient.StopAsync();

            Assert.NotNull(foreign);
            var grains = silo.Services.GetRequiredService<IGrainFactory>();
            var record = grains.GetGrain<IRecordGrain>(key);
            Assert.False((await record.Get()).Exists);

            // The silo's own (Roundabout) client writes at once: no conflict with a phantom snapshot.
            await record.Put(Encoding.UTF8.GetBytes("from Roundabout's agent"));
            Assert.Equal("from Roundabout's agent", Encoding.UTF8.GetString((await record.Get()).Value!));
        }
        finally
        {
            await silo.StopAsync();
        }
    }
}
