using System.Net;
using System.Net.Sockets;

namespace Roundabout.Client.Commands;

/// <summary>
/// Before a silo joins through `--primary-port`: is a silo listening there? Orleans itself retries
/// the primary silo for good, logging a refused connection with its stack trace every few seconds,
/// so a mistyped port (or a primary never started) looked like a silo that was starting.
/// </summary>
internal static class PrimarySiloProbe
{
    /// <summary>How long a primary silo that is still starting (both started by one script, say) is waited for.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    /// <summary>Returns once something accepts connections on the loopback address at <paramref name="port"/>; throws <see cref="ClusterUnreachableException"/> after <paramref name="patience"/>.</summary>
    public static async Task WaitUntilListeningAsync(int port, TimeSpan patience, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + patience;
        while (true)
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cancellationToken);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken);
            }
            catch (SocketException exception)
            {
                throw new ClusterUnreachableException(
                    $"No silo answers at --primary-port {port} (127.0.0.1) after {patience.TotalSeconds:0} s: start the first silo without --primary-port, then give its --silo-port here.",
                    exception);
            }
        }
    }
}
