using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Roundabout.Client.Embedded;
using Roundabout.Tests.Storage;

namespace Roundabout.Tests.Cli;

/// <summary>
/// A silo stopped with SIGTERM after it served transactions stops cleanly, and its log says so:
/// the timestamp heartbeat used to call the oracle until the process was torn down, and Orleans
/// logged each refused call as a failure with its stack ("Failed to address message ...
/// SiloUnavailableException: Silo ... is shutting down"), which read as a crash in `docker stop`'s log.
/// </summary>
public sealed class SiloShutdownTests
{
    private static readonly TimeSpan Prompt = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Silo_StoppedAfterServingTransactions_ExitsZeroWithoutAFailureInItsLog()
    {
        using var data = new TempDataDirectory();
        var (siloPort, gatewayPort) = (EmbeddedSilo.FreePort(), EmbeddedSilo.FreePort());
        var lines = new ConcurrentQueue<string>();
        using var silo = Start(lines, "silo", "--data", data.Path, "--silo-port", Text(siloPort), "--gateway-port", Text(gatewayPort));
        try
        {
            await CliRunner.WaitUntilListeningAsync(silo, gatewayPort);
            var gateway = $"localhost:{gatewayPort}";
            Assert.Equal(0, (await CliRunner.RunAsync("bank", "init", "--gateway", gateway, "--accounts", "3")).Code);
            Assert.Equal(0, (await CliRunner.RunAsync("bank", "transfer", "--gateway", gateway, "--from", "account-0", "--to", "account-1", "--amount", "5")).Code);

            // Heartbeats run every 250 ms from the first timestamp on: several have run by now.
            await Task.Delay(1_000);
            using (var term = Process.Start("kill", ["-TERM", Text(silo.Id)]))
            {
                await term.WaitForExitAsync();
            }

            await silo.WaitForExitAsync().WaitAsync(Prompt);
        }
        finally
        {
            if (!silo.HasExited)
            {
                silo.Kill(entireProcessTree: true);
            }
        }

        silo.WaitForExit(); // the last lines of output
        var log = string.Join('\n', lines);
        Assert.Equal(0, silo.ExitCode);

        // Orleans' watchdog may warn that its first check was late (a slow start); nothing else may.
        var complaints = lines.Where(line => line.StartsWith("warn:", StringComparison.Ordinal) || line.StartsWith("fail:", StringComparison.Ordinal) || line.StartsWith("crit:", StringComparison.Ordinal))
            .Where(line => !line.Contains("Orleans.Runtime.Watchdog", StringComparison.Ordinal))
            .ToList();
        Assert.True(complaints.Count == 0, log);
    }

    private static Process Start(ConcurrentQueue<string> lines, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in (string[])[CliRunner.ToolAssembly(), .. args])
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) => Keep(lines, e.Data);
        process.ErrorDataReceived += (_, e) => Keep(lines, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static void Keep(ConcurrentQueue<string> lines, string? line)
    {
        if (line is not null)
        {
            lines.Enqueue(line);
        }
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
