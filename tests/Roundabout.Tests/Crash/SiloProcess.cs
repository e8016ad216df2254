using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Roundabout.Client.Embedded;
using Roundabout.Hosting;

namespace Roundabout.Tests.Crash;

/// <summary>
/// The Roundabout silo (src/Silo/Host) as a child process with its own data directory, so a test
/// can kill it with SIGKILL exactly as a crash would, and start it again on the same data.
/// </summary>
public sealed class SiloProcess : IAsyncDisposable
{
    /// <summary>One at a time, across every silo process's log: several may write to one file.</summary>
    private static readonly Lock LogGate = new();

    private readonly Process _process;

    private SiloProcess(Process process, int gatewayPort)
    {
        _process = process;
        GatewayPort = gatewayPort;
    }

    public int GatewayPort { get; }

    /// <summary>A silo on the embedded log in <paramref name="dataDirectory"/>.</summary>
    public static SiloProcess Start(string dataDirectory, string durability, string logFile) =>
        Start(["--Roundabout:Storage:DataDirectory", dataDirectory, "--Roundabout:Storage:Durability", durability], logFile);

    /// <param name="storage">The host's storage settings: the log's directory and durability, or a PostgreSQL connection string.</param>
    public static SiloProcess Start(IEnumerable<string> storage, string logFile)
    {
        var siloPort = EmbeddedSilo.FreePort();
        var gatewayPort = EmbeddedSilo.FreePort();
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in (string[])
                 [
                     SiloAssembly(),
                     .. storage,
                     "--Roundabout:SiloPort", siloPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
                     "--Roundabout:GatewayPort", gatewayPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
                     "--Logging:LogLevel:Default", "Warning",
                 ])
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the silo process.");
        var log = new StreamWriter(new FileStream(logFile, FileMode.OpenOrCreate, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
        var streamsOpen = 2;
        void Append(string? line)
        {
            lock (LogGate)
            {
                if (line is not null)
                {
                    // Several silos may share one log, each through its own stream: a line goes
                    // after whatever the others wrote, and says whose it is.
                    log.BaseStream.Seek(0, SeekOrigin.End);
                    log.WriteLine($"[silo :{siloPort}] {line}");
                }
                else if (--streamsOpen == 0)
                {
                    // Closed once both output streams have ended, not when the process exits: the
                    // readers can still deliver lines after Exited, and a write to a closed log (an
                    // exception on a thread-pool thread) would take the whole test host down.
                    log.Dispose();
                }
            }
        }

        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new SiloProcess(process, gatewayPort);
    }

    /// <summary>SIGKILL: no shutdown code runs, nothing is flushed that was not already.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.WaitForExit();
    }

    public bool HasExited => _process.HasExited;

    /// <summary>The process id and, once it has exited, its exit code: for a test's failure message.</summary>
    public string Describe() => _process.HasExited ? $"process {_process.Id} exited with code {_process.ExitCode}" : $"process {_process.Id} running";

    /// <summary>
    /// Connects a client with Roundabout's agent, retrying until the silo answers: to this silo's
    /// gateway, or as <paramref name="clustering"/> says (the gateways of a cluster it is part of).
    /// </summary>
    public async Task<IHost> ConnectAsync(TimeSpan timeout, Action<IClientBuilder>? clustering = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The silo process exited with code {_process.ExitCode} before it accepted a client.");
            }

            var builder = Host.CreateApplicationBuilder();
            builder.Logging.SetMinimumLevel(LogLevel.Critical);
            builder.UseOrleansClient(client =>
            {
                if (clustering is null)
                {
                    client.UseLocalhostClustering(gatewayPort: GatewayPort);
                }
                else
                {
                    clustering(client);
                }

                client.UseRoundaboutTransactions();

                // A killed silo never answers: give up on its calls quickly rather than after 30 s.
                client.Configure<Orleans.Configuration.ClientMessagingOptions>(options => options.ResponseTimeout = TimeSpan.FromSeconds(5));
            });
            var host = builder.Build();
            try
            {
                await host.StartAsync();
                return host;
            }
            catch (Exception) when (DateTime.UtcNow < deadline)
            {
                host.Dispose();
                await Task.Delay(250);
            }
        }
    }

    public ValueTask DisposeAsync()
    {
        Kill();
        _process.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>The silo process's build output (src/Silo/Host) for the configuration these tests were built in.</summary>
    internal static string SiloAssembly()
    {
        var testOutput = AppContext.BaseDirectory; // .../tests/Roundabout.Tests/bin/<Configuration>/<tfm>/
        var framework = new DirectoryInfo(testOutput).Name;
        var configuration = new DirectoryInfo(testOutput).Parent!.Name;
        var root = new DirectoryInfo(testOutput);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Orleans.sln")))
        {
            root = root.Parent;
        }

        var path = Path.Combine(root?.FullName ?? throw new InvalidOperationException("Orleans.sln not found above the test output."),
            "src", "Silo", "Host", "bin", configuration, framework, "Roundabout.Silo.Host.dll");
        return File.Exists(path) ? path : throw new FileNotFoundException("Build src/Silo/Host first.", path);
    }
}
