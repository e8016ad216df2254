using Roundabout.Storage;
using Roundabout.Transactions;

namespace Roundabout.Tests.Infrastructure;

/// <summary>
/// A test class with its own two-silo cluster whose silos reach the shared store through a wrapper
/// (fault injection, recording, holding writes back), started before and stopped after each test.
/// </summary>
public abstract class WrappedStoreClusterTest<TStore>(
    Func<IRecordStore, TStore> wrap,
    Action<RoundaboutTransactionOptions>? configure = null,
    Action<IClientBuilder>? configureClient = null) : IAsyncLifetime
    where TStore : class, IRecordStore
{
    private TStore? _store;
    private RoundaboutCluster? _cluster;

    protected RoundaboutCluster Cluster => _cluster!;

    protected TStore Store => _store!;

    public async Task InitializeAsync() => _cluster = await RoundaboutCluster.StartAsync(
        silos: 2,
        configure: configure,
        wrapStore: inner => _store = wrap(inner),
        configureClient: configureClient);

    public async Task DisposeAsync()
    {
        BeforeStop();
        await Cluster.DisposeAsync();
    }

    /// <summary>Runs before the cluster stops (to let held writes through, say).</summary>
    protected virtual void BeforeStop()
    {
    }
}
