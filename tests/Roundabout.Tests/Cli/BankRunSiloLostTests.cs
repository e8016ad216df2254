using System.Diagnostics;
using System.Globalization;
using Roundabout.Client.Embedded;
using Roundabout.Tests.Storage;

namespace Roundabout.Tests.Cli;

/// <summary>
/// `bank run` against a silo that dies during the run ends soon after its duration, prints what
/// it did, and says the cluster stopped answering. Its calls in flight to the dead silo used to be
/// waited for until Orleans' response time-out (half a minute past the run), and the final audit's
/// failure threw the whole summary away with a raw exception name and exit 1.
/// </summary>
public sealed class BankRunSiloLostTests
{
    [Fact]
    public async Task Run_SiloKilledDuringIt_EndsSoonAfterItsDuration_WithTheTableAndExitCode6()
    {
        using var data = new TempDataDirectory();
        var (siloPort, gatewayPort) = (EmbeddedSilo.FreePort(), EmbeddedSilo.FreePort());
        using var silo = CliRunner.StartInBackground(null, "silo", "--data", data.Path, "--silo-port", Text(siloPort), "--gateway-port", Text(gatewayPort));
        try
        {
            await CliRunner.WaitUntilListeningAsync(silo, gatewayPort);
            var gateway = $"localhost:{gatewayPort}";
            Assert.Equal(0, (await CliRunner.RunAsync("bank", "init", "--gateway", gateway, "--accounts", "20")).Code);

            var stopwatch = Stopwatch.StartNew();
            var run = CliRunner.RunAsync("bank", "run", "--gateway", gateway, "--accounts", "20", "--concurrency", "8", "--duration", "4");
            await Task.Delay(2_000);
            silo.Kill(entireProcessTree: true);
            var (code, output, error) = await run;
            var took = stopwatch.Elapsed;

            Assert.Equal(6, code);
            Assert.Contains("transfers committed", output, StringComparison.Ordinal);
            Assert.Contains("not read", output, StringComparison.Ordinal);
            Assert.StartsWith("error: The cluster stopped answering", CliRunner.ErrorLine(error), StringComparison.Ordinal);

            // 4 s of run and 5 s of draining, and the audit's failure; not Orleans' 30 s response time-out.
            Assert.True(took < TimeSpan.FromSeconds(25), $"the run took {took.TotalSeconds:F0} s after its silo died");
        }
        finally
        {
            if (!silo.HasExited)
            {
                silo.Kill(entireProcessTree: true);
            }
        }
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
