using Microsoft.Extensions.Hosting;

namespace Roundabout.Client.Commands;

/// <summary>Stops and disposes a client host.</summary>
internal sealed class HostLifetime(IHost host) : IAsyncDisposable
{
    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await Embedded.EmbeddedHost.StopAndDisposeAsync(host, timeout.Token);
    }
}
