using Roundabout.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Roundabout.Tests.Crash;

/// <summary>
/// The silo process on PostgreSQL, killed with SIGKILL ten times under a transfer load and started
/// again on the same database (see <see cref="KillLoop"/>): nothing acknowledged is lost, nothing
/// is half done. A flush the killed silo had not heard back about may or may not have committed (the
/// server commits what it received whole); the receipts tell which. One silo at a time, restarted
/// on new ports: localhost clustering, since a membership table would list each killed silo as
/// alive until it is declared dead.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresProcessCrashTests(PostgresFixture postgres, ITestOutputHelper output)
{
    [Fact]
    public async Task KilledRepeatedly_LosesNoAcknowledgedTransferAndLeavesNoneHalfDone()
    {
        var database = await postgres.Server.CreateDatabaseAsync($"crash_{Guid.NewGuid():N}");

        var history = await new KillLoop(output).RunAsync(logFile => SiloProcess.Start(["--Roundabout:Postgres:ConnectionString", database, "--Roundabout:Clustering", "Localhost"], logFile));

        var missing = history.Acknowledged.Where(t => !history.Applied.Contains(t.Id)).ToList();
        Assert.True(missing.Count == 0, $"{missing.Count} acknowledged transfers are gone after the crashes, e.g. {missing.FirstOrDefault()}");
        KillLoop.AssertBalancesMatchReceipts(history);
    }
}
