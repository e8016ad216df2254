using Xunit.Abstractions;

namespace Roundabout.Tests.Cli;

/// <summary>`roundabout demo` in this process: an embedded silo on the durable log in a directory of the test's.</summary>
public sealed class DemoCommandTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), $"roundabout-demo-{Guid.NewGuid():N}");

    [Fact]
    public async Task Demo_RunTwiceOnOneDirectory_SecondRunFindsTheFirstRunsAccounts()
    {
        var (firstCode, first) = await RunAsync("demo", "--data", _data, "--duration", "1", "--accounts", "10", "--concurrency", "4");
        var (secondCode, second) = await RunAsync("demo", "--data", _data, "--duration", "1", "--accounts", "10", "--concurrency", "4");

        Assert.Equal(0, firstCode);
        Assert.Contains("Opened 10 accounts with 1000 each (10000 in total)", first);
        Assert.Matches(@"transfers committed : [1-9]\d*", first);
        Assert.Contains("audited total       : 10000 (expected 10000;", first);
        Assert.Equal(0, secondCode);
        Assert.Contains("Found the 10 accounts of an earlier run. The bank has 10 accounts holding 10000 in total.", second);
        Assert.NotEmpty(Directory.GetFiles(_data, "segment-*.log"));
    }

    [Fact]
    public async Task Demo_FractionalDuration_RunsThatLong()
    {
        // As the benchmarks do: a run's length is any positive number of seconds.
        var (code, text) = await RunAsync("demo", "--data", _data, "--duration", "0.5", "--accounts", "10", "--concurrency", "2");

        Assert.Equal(0, code);
        Assert.Contains("Running 2 concurrent transfers for 0.5 s", text);
        Assert.Contains("audited total       : 10000 (expected 10000;", text);
    }

    [Theory]
    [InlineData("--duration", "0")]
    [InlineData("--accounts", "1")]
    [InlineData("--concurrency", "-3")]
    public async Task Demo_BadOption_ExitsNonZeroWithOneClearLine(string option, string value)
    {
        var (code, _, error) = await RunWithErrorAsync("demo", "--data", _data, option, value);

        Assert.NotEqual(0, code);
        Assert.Contains(option, error);
        Assert.DoesNotContain("   at ", error);
    }

    [Fact]
    public async Task Demo_DataIsAFile_OneClearLine()
    {
        File.WriteAllText(_data, "not a directory");

        var (code, _, error) = await RunWithErrorAsync("demo", "--data", _data, "--duration", "1");

        Assert.NotEqual(0, code);
        Assert.StartsWith("error: ", error);
        Assert.Contains("is a file", error);
        Assert.Single(error.Trim().Split('\n'));
    }

    public void Dispose()
    {
        if (Directory.Exists(_data))
        {
            Directory.Delete(_data, recursive: true);
        }

        File.Delete(_data);
    }

    private async Task<(int Code, string Output)> RunAsync(params string[] args)
    {
        var (code, text, error) = await RunWithErrorAsync(args);
        output.WriteLine(text);
        output.WriteLine(error);
        return (code, text);
    }

    private static Task<(int Code, string Output, string Error)> RunWithErrorAsync(params string[] args) => CliRunner.RunAsync(args);
}
