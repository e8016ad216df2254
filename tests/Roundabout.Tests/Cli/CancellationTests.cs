using System.Diagnostics;

namespace Roundabout.Tests.Cli;

/// <summary>Ctrl+C and SIGTERM stop a command promptly, with the signal's exit code and one line.</summary>
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
    /// Ctrl+C for itself, so the command ran to its end. Each signal has its own exit code, as
    /// shells and supervisors (Kubernetes, docker, systemd) expect.
    /// </summary>
    [Theory]
    [InlineData("TERM", 143)]
    [InlineData("INT", 130)]
    public async Task BankRun_Signalled_StopsPromptlyWithTheSignalsExitCode(string signal, int expectedCode)
    {
        var (code, _, error, _) = await RunUntilSignalledAsync(signal, TimeSpan.FromSeconds(1), "bank", "run", "--data", _data, "--accounts", "20", "--concurrency", "4", "--duration", "120");

        Assert.Equal(expectedCode, code);
        Assert.Contains("cancelled", error);
        Assert.DoesNotContain("   at ", error);
    }

    /// <summary>
    /// A benchmark stops the run it is in (60 s long here) within moments of the signal, not at the
    /// run's end nor when the process stops waiting for it 10 s later, and shows no numbers for it
    /// (<paramref name="firstResult"/>: what its first row of numbers starts with). "cancelled" is the
    /// command's own last word: it stopped itself, and its silo, and deleted its scratch directory.
    /// </summary>
    [Theory]
    [InlineData("TERM", 143, "uniform/1000", new[] { "bench" })]
    [InlineData("INT", 130, "uniform/1000", new[] { "bench", "bank", "--concurrency", "16" })]
    [InlineData("TERM", 143, "plain grain call", new[] { "bench", "calls" })]
    [InlineData("INT", 130, @"(?m)^\s*64\s+on\s", new[] { "bench", "storage", "--writers", "64" })]
    public async Task Bench_Signalled_StopsTheRunningCellPromptly(string signal, int expectedCode, string firstResult, string[] bench)
    {
        // Signalled well after the log opened: by then the first run is warming up or measuring.
        var (code, output, error, stoppedAfter) = await RunUntilSignalledAsync(signal, TimeSpan.FromSeconds(6), [.. bench, "--data", _data, "--duration", "60"]);

        Assert.True(stoppedAfter < TimeSpan.FromSeconds(5), $"stopped {stoppedAfter} after the signal");
        Assert.Equal(expectedCode, code);
        Assert.Contains("cancelled", error);
        Assert.DoesNotContain("   at ", error);
        Assert.DoesNotMatch(firstResult, output);
        Assert.False(Directory.Exists(_data), "the stopped benchmark left its scratch directory"); // deleted "before and after a run"
    }

    public void Dispose()
    {
        if (Directory.Exists(_data))
        {
            Directory.Delete(_data, recursive: true);
        }
    }

    /// <summary>
    /// Runs the tool as a process of its own, sends it <paramref name="signal"/>
    /// <paramref name="afterLogOpened"/> after it has opened its log (the command, and its signal
    /// handling, is running by then; a fixed delay from the start is one a busy machine may
    /// not keep to), and waits for it to exit.
    /// </summary>
    /// <returns>What it printed, its exit code, and how long it took to exit after the signal.</returns>
    private async Task<(int Code, string Output, string Error, TimeSpan StoppedAfter)> RunUntilSignalledAsync(string signal, TimeSpan afterLogOpened, params string[] args)
    {
        // Through env, which resets SIGINT to its default first: a test run started in the
        // background inherits SIGINT ignored, and so would the command.
        var start = new ProcessStartInfo("env") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { "--default-signal=INT", "dotnet", CliRunner.ToolAssembly() }.Concat(args))
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var (output, error) = (process.StandardOutput.ReadToEndAsync(), process.StandardError.ReadToEndAsync());
        try
        {
            Assert.True(
                SpinWait.SpinUntil(() => !process.HasExited && LogIsOpen(), TimeSpan.FromSeconds(60)),
                "the command never opened its log");
            await Task.Delay(afterLogOpened);
            using (var kill = Process.Start("kill", [$"-{signal}", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync();
            }

            var signalled = Stopwatch.StartNew();
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await process.WaitForExitAsync(deadline.Token);
            return (process.ExitCode, await output, await error, signalled.Elapsed);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    /// <summary>
    /// Whether the command has opened its log, which it locks (looked at, not locked: a probe that
    /// took the lock could make the command's own store fail to open). Not whether it has written
    /// to it: `bench calls` writes nothing.
    /// </summary>
    private bool LogIsOpen() => Directory.Exists(_data) && Directory.EnumerateFiles(_data, "LOCK", SearchOption.AllDirectories).Any();
}
