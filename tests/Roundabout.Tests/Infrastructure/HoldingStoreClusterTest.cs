using Roundabout.Transactions;

namespace Roundabout.Tests.Infrastructure;

/// <summary>A test class with its own cluster over a <see cref="HoldingRecordStore"/>, released and stopped after each test.</summary>
public abstract class HoldingStoreClusterTest(Action<RoundaboutTransactionOptions>? configure = null) : IAsyncLifetime
{
    private HoldingRecordStore? _store;
    private RoundaboutCluster? _cluster;

    protected RoundaboutCluster Cluster => _cluster!;

    protected HoldingRecordStore Store => _store!;

    public async Task InitializeAsync() => _cluster = await RoundaboutCluster.StartAsync(
        silos: 2,
        configure: configure,
        wrapStore: inner => _store = new HoldingRecordStore(inner));

    public async Task DisposeAsync()
    {
        Store.Release();
        await Cluster.DisposeAsync();
    }
}
