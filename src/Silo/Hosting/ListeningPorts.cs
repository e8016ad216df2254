using System.Net;
using System.Net.Sockets;

namespace Roundabout.Silo.Hosting;

/// <summary>
/// Checks that a silo can have its ports to itself before it starts. Orleans listens with
/// ReuseAddress, which .NET turns into SO_REUSEADDR and SO_REUSEPORT on Linux: a second silo on
/// the same ports started as well, both listened, and the system handed each new connection to
/// one or the other, so clients went back and forth between two clusters. Both silo processes
/// check: `roundabout silo` and the silo host.
/// </summary>
public static class ListeningPorts
{
    /// <summary>Throws <see cref="PortInUseException"/> naming each port that cannot be listened on, and the option or setting that chose it.</summary>
    public static void EnsureFree(IPAddress address, params (int Port, string Option)[] ports)
    {
        var problems = ports
            .Select(port => (port.Port, port.Option, Problem: Problem(address, port.Port)))
            .Where(port => port.Problem is not null)
            .Select(port => $"port {port.Port} ({port.Option}) {port.Problem}; choose another with {port.Option}")
            .ToArray();
        if (problems.Length > 0)
        {
            throw new PortInUseException($"{string.Join("; ", problems)}.");
        }
    }

    /// <summary>Null when a socket of this process could listen on <paramref name="port"/> alone, else why not.</summary>
    public static string? Problem(IPAddress address, int port)
    {
        // Without ReuseAddress, which would share the port with a running silo. (.NET sets
        // SO_REUSEADDR alone on Unix when it binds, so the connections of a silo that just stopped,
        // in TIME_WAIT for a minute, do not make its port look taken.)
        using var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        if (address.Equals(IPAddress.IPv6Any))
        {
            // Orleans listens on :: in dual mode, IPv4 included: so must the probe, or a silo on
            // 0.0.0.0 with the same port would go unnoticed.
            socket.DualMode = true;
        }

        try
        {
            socket.Bind(new IPEndPoint(address, port));
            socket.Listen();
            return null;
        }
        catch (SocketException exception) when (exception.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            return $"is in use on {address} (by another silo?)";
        }
        catch (SocketException exception)
        {
            return $"cannot be listened on at {address} ({exception.Message})";
        }
    }
}

/// <summary>A port a silo was to listen on is taken (or cannot be listened on).</summary>
public sealed class PortInUseException(string message) : Exception(message);
