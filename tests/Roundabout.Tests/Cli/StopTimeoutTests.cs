using System.CommandLine;
using System.Runtime.InteropServices;
using Roundabout.Client;

namespace Roundabout.Tests.Cli;

/// <summary>
/// After Ctrl+C or SIGTERM the tool waits a while (10 s) for its command to stop (its silo to close
/// the log), and then returns the signal's exit code anyway, so that the process ends even when the
/// command hangs. CancellationTests send real signals to commands that stop in time; no real command
/// ignores a signal, so these run commands that do, with a signal sent from the test (a real one
/// would go to the whole test process) and a shorter wait where the test has to sit it out.
/// </summary>
public sealed class StopTimeoutTests
{
    [Theory]
    [InlineData(PosixSignal.SIGTERM, 143)]
    [InlineData(PosixSignal.SIGINT, 130)]
    public async Task Signalled_CommandThatNeverStops_ReturnsTheSignalsCodeAnyway(PosixSignal signal, int expectedCode)
    {
        var deaf = new Command("deaf");
        deaf.SetAction((_, _) => new TaskCompletionSource<int>().Task);
        using var signals = new StopSignals(CancellationToken.None);
        var run = RoundaboutCli.RunAsync(new RootCommand { deaf }, ["deaf"], signals, stopTimeout: TimeSpan.FromMilliseconds(300));

        signals.Receive(signal);

        // Without the forced exit the run never ends: the deadline makes that a failure.
        Assert.Equal(expectedCode, await run.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    /// <summary>`roundabout silo` ends with 0 when Ctrl+C stops it: a command that ends in time keeps its code.</summary>
    [Fact]
    public async Task Signalled_CommandThatStopsWithinTheStopTimeout_IsWaitedForAndKeepsItsExitCode()
    {
        var stopped = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var slow = new Command("slow");
        slow.SetAction((_, _) => stopped.Task);
        using var signals = new StopSignals(CancellationToken.None);
        var run = RoundaboutCli.RunAsync(new RootCommand { slow }, ["slow"], signals, stopTimeout: TimeSpan.FromSeconds(10));

        signals.Receive(PosixSignal.SIGTERM);
        // Time for the tool to give up on the command, were it not waiting for it.
        await Task.Delay(TimeSpan.FromMilliseconds(200));
        stopped.SetResult(0);

        Assert.Equal(0, await run.WaitAsync(TimeSpan.FromSeconds(10)));
    }
}
