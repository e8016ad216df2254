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

    [Fact]
    public async Task StopAndDispose_TheStopIsCutShort_StillDisposes()
    {
        var host = new FailingStopHost(honourCancellation: true);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await EmbeddedHost.StopAndDisposeAsync(host, cancelled.Token));

        Assert.True(host.Disposed, "the host was not disposed after its stop was cut short");
    }

    [Fact]
    public async Task StopAndDispose_TheStopAndTheDisposalFail_ReportsBoth()
    {
        var host = new FailingStopHost(failDisposal: true);

        var error = await Assert.ThrowsAsync<AggregateException>(async () => await EmbeddedHost.StopAndDisposeAsync(host));

        Assert.Equal(["stop failed", "disposal failed"], error.InnerExceptions.Select(inner => inner.Message));
    }

    private sealed class FailingStopHost(bool honourCancellation = false, bool failDisposal = false) : IHost
    {
        public bool Disposed { get; private set; }

        public IServiceProvider Services { get; } = new ServiceCollection().BuildServiceProvider();

        public Task StartAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken = default) => honourCancellation && cancellationToken.IsCancellationRequested
            ? Task.FromCanceled(cancellationToken)
            : Task.FromException(new InvalidOperationException("stop failed"));

        public void Dispose()
        {
            Disposed = true;
            if (failDisposal)
            {
                throw new InvalidOperationException("disposal failed");
            }
        }
    }
}
