using System.Diagnostics;

namespace Roundabout.Tests.Cli;

/// <summary>Ctrl+C and SIGTERM stop a command promptly, with a non-zero exit code and one line.</summary>
public sealed class CancellationTests : IDisposable
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), $"roundabout-cancel-{Guid.NewGuid():N}");

    [Fact]
    public async Task BankRun_Cancelled_StopsPromptlyWithOneLine()
    {
        using var cancellation = new CancellationTokenSource(TimeSpan.FromSeconds(8));
        var stopwatch = Stopwatch.StartNew();

        var (code, _, error) = await CliRunner.RunAsync(cancellation.Token, "bank", "run", "--data", _data, "--accounts", "20", "--concurrency", "4", "--duration", "60");

        Assert.Equal(130, code);
        Assert.Equal("cancelled", error.Trim());
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(40), $"took {stopwatch.Elapsed}");
    }

    [Fact]
    public async Task Connect_CancelledWhileWaitingForTheCluster_SaysCancelled()
    {
        // A non-routable address: the connection attempt hangs rather than being refused.
        using var cancellation = new CancellationTokenSource(TimeSpan.FromSeconds(1));

        var (code, _, error) = await CliRunner.RunAsync(cancellation.Token, "bank", "audit", "--gateway", "10.255.255.1:30000");

        Assert.Equal(130, code);
        Assert.Equal("cancelled", error.Trim());
    }

    /// <summary>
    /// The real signal, to a real process: the host's console lifetime used to take SIGTERM and
    /// Ctrl+C for itself, so the command ran to its end. (SIGTERM rather than SIGINT because a
    /// test started in the background may have inherited SIGINT as ignored.)
    /// </summary>
    [Fact]
    public async Task BankRun_Sigterm_StopsPromptlyAndExitsNonZero()
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { CliRunner.ToolAssembly(), "bank", "run", "--data", _data, "--accounts", "20", "--concurrency", "4", "--duration", "120" })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        _ = process.StandardOutput.ReadToEndAsync();
        try
        {
            // Signalled once its silo has written to the log (the command, and its signal handling,
            // is running by then), not after a fixed delay a busy machine may not keep to.
            Assert.True(
                SpinWait.SpinUntil(() => !process.HasExited && LogIsOpen(), TimeSpan.FromSeconds(60)),
                "the command never opened its log");
            await Task.Delay(TimeSpan.FromSeconds(1));
            using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync();
            }

            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await process.WaitForExitAsync(deadline.Token);

            Assert.NotEqual(0, process.ExitCode);
            Assert.Contains("cancelled", await error);
            Assert.DoesNotContain("   at ", await error);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    public void Dispose()
    {
        if (Directory.Exists(_data))
        {
            Directory.Delete(_data, recursive: true);
        }
    }

    /// <summary>
    /// Whether the command's silo has written to its log (looked at, not locked: a probe that took
    /// the lock could make the command's own store fail to open).
    /// </summary>
    private bool LogIsOpen() => Directory.Exists(_data) && Directory.EnumerateFiles(_data, "segment-*.log").Any();
}
