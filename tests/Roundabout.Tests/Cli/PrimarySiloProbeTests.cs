using System.Net;
using System.Net.Sockets;
using Roundabout.Client.Commands;

namespace Roundabout.Tests.Cli;

/// <summary>
/// `roundabout silo --primary-port` first waits for a silo there, then gives up with one line
/// (a black-box test found Orleans retrying a port with nothing on it for good, stack traces and all).
/// </summary>
public sealed class PrimarySiloProbeTests
{
    [Fact]
    public async Task NothingListening_GivesUpAfterItsPatienceNamingThePort()
    {
        var port = FreePort();

        var error = await Assert.ThrowsAsync<ClusterUnreachableException>(() => PrimarySiloProbe.WaitUntilListeningAsync(port, TimeSpan.FromSeconds(1), CancellationToken.None));

        Assert.Equal($"No silo answers at --primary-port {port} (127.0.0.1) after 1 s: start the first silo without --primary-port, then give its --silo-port here.", error.Message);
    }

    [Fact]
    public async Task ListenerStartsWhileWaiting_Returns()
    {
        var port = FreePort();
        using var listener = new TcpListener(IPAddress.Loopback, port);
        var waiting = PrimarySiloProbe.WaitUntilListeningAsync(port, TimeSpan.FromSeconds(20), CancellationToken.None);
        await Task.Delay(700);
        Assert.False(waiting.IsCompleted);

        listener.Start();

        await waiting.WaitAsync(TimeSpan.FromSeconds(10));
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
