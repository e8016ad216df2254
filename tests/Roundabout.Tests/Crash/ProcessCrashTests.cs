using Xunit.Abstractions;

namespace Roundabout.Tests.Crash;

/// <summary>
/// The silo runs as a child process on a data directory and is killed with SIGKILL at random
/// moments under a transfer load, then restarted on the same data (see <see cref="KillLoop"/>).
/// </summary>
public sealed class ProcessCrashTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Strict_KilledRepeatedly_LosesNoAcknowledgedTransferAndLeavesNoneHalfDone()
    {
        var history = await RunOnTheLogAsync("Strict");

        var missing = history.Acknowledged.Where(t => !history.Applied.Contains(t.Id)).ToList();
        Assert.True(missing.Count == 0, $"{missing.Count} acknowledged transfers are gone after the crashes, e.g. {missing.FirstOrDefault()}");
        KillLoop.AssertBalancesMatchReceipts(history);
    }

    [Fact]
    public async Task Buffered_KilledRepeatedly_KeepsAConsistentPrefix()
    {
        var history = await RunOnTheLogAsync("Buffered");

        // Buffered may lose the last acknowledged writes of each crash, but what survives is a
        // prefix: a transfer acknowledged before another one started survives if that one did.
        foreach (var survivor in history.Acknowledged.Where(t => history.Applied.Contains(t.Id)))
        {
            var lostEarlier = history.Acknowledged.FirstOrDefault(t => t.AcknowledgedAt < survivor.StartedAt && t.Cycle == survivor.Cycle && !history.Applied.Contains(t.Id));
            Assert.True(lostEarlier is null, $"transfer {survivor.Id} survived but {lostEarlier?.Id}, acknowledged before it started, did not");
        }

        KillLoop.AssertBalancesMatchReceipts(history);
    }

    private async Task<KillLoop.CrashHistory> RunOnTheLogAsync(string durability)
    {
        var directory = Path.Combine(Path.GetTempPath(), $"roundabout-crash-{Guid.NewGuid():N}");
        try
        {
            return await new KillLoop(output).RunAsync(logFile => SiloProcess.Start(directory, durability, logFile));
        }
        finally
        {
            KillLoop.TryDelete(directory);
        }
    }
}
