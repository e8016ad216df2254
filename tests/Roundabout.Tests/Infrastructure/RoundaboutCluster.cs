using Orleans.TestingHost;
using Roundabout.Hosting;
using Roundabout.Silo.Hosting;
using Roundabout.Silo.Persistence.Memory;
using Roundabout.Storage;
using Roundabout.Tests.TestGrains;
using Roundabout.Transactions;

namespace Roundabout.Tests.Infrastructure;

/// <summary>
/// A TestingHost cluster of in-process silos running Roundabout, all persisting to one
/// shared in-memory store (as a database would be shared), so a killed silo loses nothing acknowledged.
/// </summary>
public sealed class RoundaboutCluster : IAsyncDisposable
{
    private RoundaboutCluster(InProcessTestCluster cluster, InMemoryRecordStore store)
    {
        Cluster = cluster;
        Store = store;
    }

    public InProcessTestCluster Cluster { get; }

    public InMemoryRecordStore Store { get; }

    public IClusterClient Client => Cluster.Client;

    public IGrainFactory Grains => Cluster.Client;

    public IRoundaboutTransactions Transactions => Cluster.Client.ServiceProvider.GetRequiredService<IRoundaboutTransactions>();

    public ITransactionClient TransactionClient => Cluster.Client.ServiceProvider.GetRequiredService<ITransactionClient>();

    /// <param name="wrapStore">Puts something (fault injection, say) between the silos and the shared store.</param>
    /// <param name="configureClient">More configuration for the cluster's client (its response time-out, say).</param>
    /// <param name="configureSilo">More configuration for each silo (a grain call filter, say).</param>
    public static async Task<RoundaboutCluster> StartAsync(
        short silos = 2,
        Action<RoundaboutTransactionOptions>? configure = null,
        Func<InMemoryRecordStore, IRecordStore>? wrapStore = null,
        Action<IClientBuilder>? configureClient = null,
        Action<ISiloBuilder>? configureSilo = null)
    {
        var store = new InMemoryRecordStore();
        var siloStore = wrapStore?.Invoke(store) ?? store;
        var builder = new InProcessTestClusterBuilder(silos);
        builder.ConfigureSilo((_, silo) =>
        {
            silo.UseRecordStore(siloStore).AddRoundabout(configure);
            silo.Services.AddKeyedSingleton<IPaymentService, RecordingPaymentService>(RecordingPaymentService.ServiceName);
            configureSilo?.Invoke(silo);
        });
        builder.ConfigureClient(client =>
        {
            client.UseRoundaboutTransactions(configure);
            configureClient?.Invoke(client);
        });
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return new RoundaboutCluster(cluster, store);
    }

    public async ValueTask DisposeAsync() => await Cluster.DisposeAsync();
}
