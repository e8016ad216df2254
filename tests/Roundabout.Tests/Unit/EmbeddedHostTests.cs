using Microsoft.Extensions.Hosting;
using Roundabout.Client.Embedded;

namespace Roundabout.Tests.Unit;

/// <summary>
/// A host whose stop fails or is cut short is disposed all the same: an embedded silo's disposal
/// closes its log and releases the data directory's lock, which a retry in the same process needs.
/// </summary>
public sealed class EmbeddedHostTests
{
    [Fact]
    public async Task StopAndDispose_TheStopFails_StillDisposesAndReportsTheFailure()
    {
        var host = new FailingStopHost();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(async () => await EmbeddedHost.StopAndDisposeAsync(host));

        Assert.Equal("stop failed", error.Message);
        Assert.True(host.Disposed, "the host was not disposed after its stop failed");
    }

    private sealed class FailingStopHost : IHost
    {
        public bool Disposed { get; private set; }

        public IServiceProvider Services { get; } = new ServiceCollection().BuildServiceProvider();

        public Task StartAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken = default) => Task.FromException(new InvalidOperationException("stop failed"));

        public void Dispose() => Disposed = true;
    }
}
