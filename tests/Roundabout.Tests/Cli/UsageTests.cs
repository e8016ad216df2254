namespace Roundabout.Tests.Cli;

/// <summary>What `roundabout` says when it is given no verb.</summary>
public sealed class UsageTests
{
    [Fact]
    public async Task NoArguments_PrintsTheRootHelpAndIsAUsageError()
    {
        var (code, output, error) = await CliRunner.RunAsync();

        Assert.Equal(2, code);
        Assert.Contains("Usage:", output);
        Assert.Contains("--help", output);
        Assert.Contains("--version", output);
        foreach (var verb in new[] { "demo", "bank", "records", "silo", "bench" })
        {
            Assert.Matches($@"(?m)^\s+{verb}\s+\S", output);
        }

        Assert.Equal("", error);
    }

    [Fact]
    public async Task GroupWithoutItsVerb_PrintsItsHelpAndIsAUsageError()
    {
        var (code, output, _) = await CliRunner.RunAsync("bank");

        Assert.Equal(2, code);
        foreach (var verb in new[] { "init", "list", "transfer", "balance", "audit", "run" })
        {
            Assert.Matches($@"(?m)^\s+{verb}\s+\S", output);
        }
    }

    [Theory]
    [InlineData("roundabout", "bogus")]
    [InlineData("roundabout bank", "bank", "bogus")]
    [InlineData("roundabout records", "records", "bogus")]
    public async Task UnknownVerb_IsOneErrorAndAHint(string group, params string[] args)
    {
        var (code, output, error) = await CliRunner.RunAsync(args);

        Assert.Equal(2, code);
        // Not also "Required command was not provided": the verb was given, just not one it knows.
        Assert.Equal(["error: Unrecognized command or argument 'bogus'.", $"see `{group} --help`"], error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.DoesNotContain("Usage:", output);
    }
}
