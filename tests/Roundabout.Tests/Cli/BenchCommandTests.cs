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
        Assert.Contains("GCs/s", output);
        Assert.Contains("GC pause %", output);
        // Each row ends with the collections per second and the pause share.
        Assert.Matches(new Regex(@"^uniform/1000\s.*\s\d+\s+\d+\.\d\s*$", RegexOptions.Multiline), output);
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

    [Theory]
    [InlineData("bank", "--duration", "NaN")]
    [InlineData("calls", "--duration", "1e300")]
    [InlineData("storage", "--duration", "Infinity")]
    public async Task UnusableDuration_IsBadInputInOneLineAndTheHint(string bench, string option, string value)
    {
        var (code, _, error) = await CliRunner.RunAsync("bench", bench, "--data", _data, option, value);

        Assert.Equal(2, code);
        Assert.Contains(option, CliRunner.ErrorLine(error));
    }

    [Fact]
    public async Task SideBySide_HugeDuration_IsBadInput()
    {
        var (code, _, error) = await CliRunner.RunAsync("bench", "--data", _data, "--duration", "1e300");

        Assert.Equal(2, code);
        Assert.Contains("--duration", CliRunner.ErrorLine(error));
    }

    [Fact]
    public async Task SideBySide_JsonInAMissingDirectory_IsRefusedBeforeTheBenchmarkRuns()
    {
        var stopwatch = System.Diagnostics.Stopwatch.StartNew();

        var (code, output, error) = await CliRunner.RunAsync("bench", "--quick", "--data", _data, "--json", Path.Combine(_data, "missing", "x.json"));

        Assert.Equal(2, code);
        Assert.Contains("--json", error);
        Assert.DoesNotContain("transfers/s", output);
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(10), $"took {stopwatch.Elapsed}");
    }

    /// <summary>
    /// A directory that exists but takes no new file (sysfs refuses one even to root, who may write
    /// anywhere else): refused before the benchmark runs, not after its minutes of work.
    /// </summary>
    [Fact]
    public async Task SideBySide_JsonThatCannotBeWritten_IsRefusedBeforeTheBenchmarkRuns()
    {
        var stopwatch = System.Diagnostics.Stopwatch.StartNew();

        var (code, output, error) = await CliRunner.RunAsync("bench", "--quick", "--data", _data, "--json", "/sys/roundabout-bench.json");

        Assert.Equal(2, code);
        Assert.StartsWith("error: --json '/sys/roundabout-bench.json' cannot be written (", CliRunner.ErrorLine(error), StringComparison.Ordinal);
        Assert.DoesNotContain("transfers/s", output);
        Assert.False(File.Exists("/sys/roundabout-bench.json"));
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(10), $"took {stopwatch.Elapsed}");
    }

    [Theory]
    [InlineData("bank")]
    [InlineData("calls")]
    [InlineData("storage")]
    public async Task DataWithFilesNotMadeByABenchmark_IsRefusedAndKept(string bench)
    {
        Directory.CreateDirectory(_data);
        var store = Path.Combine(_data, "segment-00000001.log");
        File.WriteAllText(store, "a store of a real command");

        var (code, _, error) = await CliRunner.RunAsync("bench", bench, "--data", _data, "--duration", "0.3");

        Assert.Equal(2, code);
        Assert.Contains("did not make", error);
        Assert.True(File.Exists(store), "the directory is left alone");
    }

    /// <summary>
    /// In a process of its own whose current directory is an empty scratch directory: only the
    /// current-directory rule refuses it, and were that rule ever broken, the benchmark would
    /// delete that scratch directory, never the test's own directory or a parent of it.
    /// </summary>
    [Fact]
    public async Task DataIsTheCurrentDirectory_IsRefused()
    {
        var current = Directory.CreateDirectory(_data).FullName;

        var (code, _, error) = await CliRunner.RunProcessAsync(current, "bench", "calls", "--data", ".", "--duration", "0.3");

        Assert.Equal(2, code);
        Assert.Contains("current directory", error);
        Assert.True(Directory.Exists(current));
    }

    [Fact]
    public async Task DataMadeByAnEarlierBenchmark_IsReused()
    {
        var first = await CliRunner.RunAsync("bench", "calls", "--data", _data, "--duration", "0.2", "--concurrency", "2");
        Directory.CreateDirectory(_data);
        File.WriteAllText(Path.Combine(_data, ".roundabout-bench-scratch"), "left by a benchmark that was stopped");
        File.WriteAllText(Path.Combine(_data, "leftover"), "x");

        var second = await CliRunner.RunAsync("bench", "calls", "--data", _data, "--duration", "0.2", "--concurrency", "2");

        Assert.True(first.Code == 0, first.Error);
        Assert.True(second.Code == 0, second.Error);
        Assert.False(Directory.Exists(_data));
    }

    [Fact]
    public async Task DataOfABenchmarkStillRunning_IsRefusedAndKept()
    {
        Directory.CreateDirectory(_data);
        File.WriteAllText(Path.Combine(_data, ".roundabout-bench-scratch"), "made by a benchmark");
        await using var running = Roundabout.Tests.Storage.StorageTestKit.Open(Path.Combine(_data, "log")); // its log, open

        var (code, _, error) = await CliRunner.RunAsync("bench", "calls", "--data", _data, "--duration", "0.2", "--concurrency", "2");

        Assert.Equal(1, code);
        Assert.Contains("is in use", error);
        Assert.True(Directory.Exists(Path.Combine(_data, "log")), "the running benchmark's log is left alone");
    }

    public void Dispose()
    {
        if (Directory.Exists(_data))
        {
            Directory.Delete(_data, recursive: true);
        }
    }
}
