using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Roundabout.Silo.Hosting;
using Roundabout.Client.Embedded;
using Roundabout.Tests.Crash;
using Roundabout.Tests.Storage;

namespace Roundabout.Tests.Cli;

/// <summary>
/// `roundabout silo` on a port another silo listens on is refused before it starts: Orleans
/// listens with ReuseAddress (SO_REUSEPORT on Linux), so a second silo on the default ports started
/// too and shared them, and clients went back and forth between two clusters.
/// </summary>
public sealed class SiloPortTests
{
    [Theory]
    [InlineData("--silo-port")]
    [InlineData("--gateway-port")]
    public async Task Silo_PortTakenByAListenerAsOrleansListens_OneLineNamingThePortAndItsOption(string option)
    {
        using var directory = new TempDataDirectory();
        using var taken = ListenAsOrleansDoes(out var port);
        var other = option == "--silo-port" ? "--gateway-port" : "--silo-port";

        // A silo that does start runs until stopped: the deadline stops it, and the test fails.
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var (code, output, error) = await CliRunner.RunAsync(deadline.Token, "silo", "--data", directory.Path, option, Text(port), other, Text(EmbeddedSilo.FreePort()));

        Assert.Equal(1, code);
        var line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal($"error: port {port} ({option}) is in use on 127.0.0.1 (by another silo?); choose another with {option}.", line);
        Assert.Equal("", output);
    }

    [Fact]
    public async Task Silo_SecondProcessOnTheSamePorts_IsRefusedWhileTheFirstRuns()
    {
        using var first = new TempDataDirectory();
        using var second = new TempDataDirectory();
        var (siloPort, gatewayPort) = (EmbeddedSilo.FreePort(), EmbeddedSilo.FreePort());
        string[] ports = ["--silo-port", Text(siloPort), "--gateway-port", Text(gatewayPort)];
        using var running = StartSilo(first.Path, ports);
        try
        {
            await CliRunner.WaitUntilListeningAsync(running, gatewayPort);

            var (code, _, error) = await CliRunner.RunProcessAsync(second.Path, ["silo", "--data", second.Path, .. ports]);

            Assert.Equal(1, code);
            var line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.Contains($"port {siloPort} (--silo-port) is in use", line, StringComparison.Ordinal);
            Assert.Contains($"port {gatewayPort} (--gateway-port) is in use", line, StringComparison.Ordinal);
        }
        finally
        {
            running.Kill(entireProcessTree: true);
            await running.WaitForExitAsync();
        }
    }

    /// <summary>The silo host (the containers' entrypoint) checks as well, naming its setting, with exit code 2.</summary>
    [Theory]
    [InlineData("Roundabout:SiloPort")]
    [InlineData("Roundabout:GatewayPort")]
    public async Task Host_PortTakenByAListenerAsOrleansListens_OneLineNamingThePortAndItsSetting(string setting)
    {
        using var directory = new TempDataDirectory();
        using var taken = ListenAsOrleansDoes(out var port);
        var other = setting == "Roundabout:SiloPort" ? "Roundabout:GatewayPort" : "Roundabout:SiloPort";
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in (string[])[SiloProcess.SiloAssembly(), "--Roundabout:Storage:DataDirectory", directory.Path, $"--{setting}", Text(port), $"--{other}", Text(EmbeddedSilo.FreePort())])
        {
            start.ArgumentList.Add(argument);
        }

        using var host = Process.Start(start)!;
        var output = host.StandardOutput.ReadToEndAsync();
        var error = host.StandardError.ReadToEndAsync();
        try
        {
            // A host that does start runs until stopped: the wait ends it, and the test fails.
            await host.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        }
        finally
        {
            host.Kill(entireProcessTree: true);
        }

        Assert.Equal(2, host.ExitCode);
        var line = Assert.Single((await output + await error).Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal($"error: port {port} ({setting}) is in use on 127.0.0.1 (by another silo?); choose another with {setting}.", line);
    }

    /// <summary>A silo restarted right after it stopped must not be refused.</summary>
    [Fact]
    public void Problem_PortWhoseConnectionsAreInTimeWait_IsFree()
    {
        // The side that closes first keeps TIME_WAIT: here the listening side, as a stopping silo.
        int port;
        using (var listener = ListenAsOrleansDoes(out port))
        using (var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            client.Connect(IPAddress.Loopback, port);
            using var accepted = listener.Accept();
            accepted.Close();
            Thread.Sleep(100);
            client.Shutdown(SocketShutdown.Both);
            Thread.Sleep(100);
        }

        Assert.Null(ListeningPorts.Problem(IPAddress.Loopback, port));
    }

    [Fact]
    public void Problem_PortAListenerHolds_IsInUse()
    {
        using var taken = ListenAsOrleansDoes(out var port);

        Assert.Contains("is in use", ListeningPorts.Problem(IPAddress.Loopback, port), StringComparison.Ordinal);
    }

    /// <summary>A silo asked to listen on :: (IPv6 and IPv4) must see a silo that holds the port on 0.0.0.0.</summary>
    [Fact]
    public void Problem_EveryIPv6AddressWhileAListenerHoldsThePortOnEveryIPv4Address_IsInUse()
    {
        using var taken = ListenAsOrleansDoes(out var port, IPAddress.Any);

        Assert.Contains("is in use", ListeningPorts.Problem(IPAddress.IPv6Any, port), StringComparison.Ordinal);
    }

    /// <summary>A listener with ReuseAddress, as Orleans' gateway and silo port (on the loopback address unless told otherwise).</summary>
    private static Socket ListenAsOrleansDoes(out int port, IPAddress? address = null)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        socket.Bind(new IPEndPoint(address ?? IPAddress.Loopback, 0));
        socket.Listen();
        port = ((IPEndPoint)socket.LocalEndPoint!).Port;
        return socket;
    }

    private static Process StartSilo(string data, string[] ports) => CliRunner.StartInBackground(data, ["silo", "--data", data, .. ports]);

    /// <summary>Connects rather than binds: a probe holding the port for a moment could make the silo's own bind fail.</summary>
    private static string Text(int port) => port.ToString(CultureInfo.InvariantCulture);
}
