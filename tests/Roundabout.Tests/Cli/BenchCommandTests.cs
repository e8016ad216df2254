using System.Text.RegularExpressions;

namespace Roundabout.Tests.Cli;

/// <summary>`roundabout bench bank` and `bench calls`, run short: their tables, and bad input.</summary>
public sealed class BenchCommandTests : IDisposable
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), $"roundabout-bench-{Guid.NewGuid():N}");

    [Fact]
    public async Task Calls_ShortRun_PrintsARateForEachKindOfCall()
    {
        var (code, output, error) = await CliRunner.RunAsync("bench", "calls", "--data", _data, "--duration", "0.3", "--concurrency", "4");

        Assert.True(code == 0, $"exit code {code}: {error}");
        foreach (var kind in new[] { "plain grain call", "empty transaction", "transaction joining 2 grains" })
        {
            Assert.Matches(new Regex($@"{kind}\s+4\s+[1-9]\d*\s+\d+\.\d"), output);
        }

        Assert.False(Directory.Exists(_data), "the scratch directory is removed afterwards");
    }

    [Fact]
    public async Task Bank_ShortRun_PrintsBothWorkloadsWithCommittedTransfers()
    {
        var (code, output, error) = await CliRunner.RunAsync("bench", "bank", "--data", _data, "--duration", "0.5", "--concurrency", "4");

        // The command fails on its own if the audit after a run does not see the starting total.
        Assert.True(code == 0, $"exit code {code}: {error}");
        Assert.Matches(new Regex(@"uniform/1000\s+4\s+[1-9]\d*"), output);
        Assert.Matches(new Regex(@"hot/10\s+4\s+[1-9]\d*"), output);
        Assert.Contains("KB/transfer", output);
        Assert.Contains("pool items/transfer", output);
    }

    [Theory]
    [InlineData("calls", "--concurrency", "0")]
    [InlineData("calls", "--duration", "-1")]
    [InlineData("bank", "--concurrency", "0")]
    public async Task BadOption_IsBadInputAndNamesTheOption(string bench, string option, string value)
    {
        var (code, _, error) = await CliRunner.RunAsync("bench", bench, "--data", _data, option, value);

        Assert.Equal(2, code);
        Assert.Contains(option, error);
    }

    public void Dispose()
    {
        if (Directory.Exists(_data))
        {
            Directory.Delete(_data, recursive: true);
        }
    }
}
