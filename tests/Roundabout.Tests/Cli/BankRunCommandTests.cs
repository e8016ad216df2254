namespace Roundabout.Tests.Cli;

/// <summary>`roundabout bank run` on an embedded silo: the workload's table and its audit.</summary>
public sealed class BankRunCommandTests : IDisposable
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), $"roundabout-run-{Guid.NewGuid():N}");

    [Fact]
    public async Task Run_HotSpotWithAudits_PrintsTheTableAndKeepsTheTotal()
    {
        var (code, output, error) = await CliRunner.RunAsync(
            "bank", "run", "--data", _data, "--accounts", "20", "--concurrency", "8", "--duration", "2",
            "--hot-accounts", "2", "--hot-share", "0.5", "--audit-share", "0.1", "--isolation", "Snapshot");

        Assert.True(code == 0, $"exit code {code}: {error}");
        Assert.Contains("transfers committed", output);
        Assert.Matches(@"audits \(mismatched\)\s*│\s*[1-9][\d,]* \(0\)", output);
        Assert.Contains("audited total", output);
    }

    [Fact]
    public async Task Transfer_OnTheEmbeddedSilo_PrintsItsLineAndNoShutdownNoise()
    {
        await CliRunner.RunAsync("bank", "init", "--data", _data, "--accounts", "2", "--balance", "100");

        // The silo's shutdown logged stack traces (Polly, Orleans.Messaging) after most transfers.
        for (var i = 0; i < 3; i++)
        {
            var (code, output, error) = await CliRunner.RunAsync("bank", "transfer", "--data", _data, "--from", "account-0", "--to", "account-1", "--amount", "1");

            Assert.Equal(0, code);
            Assert.Equal("transferred 1 from account-0 to account-1", (output + error).Trim());
        }
    }

    [Theory]
    [InlineData("--hot-share", "1.5")]
    [InlineData("--accounts", "1")]
    [InlineData("--audit-share", "-0.1")]
    public async Task Run_BadOption_IsBadInput(string option, string value)
    {
        var (code, _, error) = await CliRunner.RunAsync("bank", "run", "--data", _data, option, value);

        Assert.Equal(2, code);
        Assert.StartsWith("error: ", error);
    }

    public void Dispose()
    {
        if (Directory.Exists(_data))
        {
            Directory.Delete(_data, recursive: true);
        }
    }
}
