namespace Roundabout.Tests.Infrastructure;

/// <summary>One two-silo cluster shared by the tests of a class (each test uses its own keys).</summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    private RoundaboutCluster? _cluster;

    public RoundaboutCluster Cluster => _cluster ?? throw new InvalidOperationException("The cluster has not started.");

    public async Task InitializeAsync() => _cluster = await RoundaboutCluster.StartAsync();

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "cluster";
}
