namespace Roundabout.Tests.Cli;

/// <summary>
/// A --data that is a file, or that has a file where one of its parent directories should be: one
/// line that names the file, before any silo starts. (Found by a black-box test: `silo` said "The
/// file ... already exists", a path under a file "Could not find a part of the path", and a verb
/// that only reads said that an existing file "does not exist".)
/// </summary>
public sealed class DataPathIsAFileTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"roundabout-data-file-{Guid.NewGuid():N}");

    public DataPathIsAFileTests()
    {
        Directory.CreateDirectory(_directory);
        System.IO.File.WriteAllText(AFile, "not a directory");
    }

    private string AFile => Path.Combine(_directory, "afile");

    [Theory]
    [InlineData("silo", "--silo-port", "11197", "--gateway-port", "30097")]
    [InlineData("demo", "--duration", "1")]
    [InlineData("bank", "init", "--accounts", "2")]
    public async Task UnderAFile_OneLineNamingTheFile(params string[] args)
    {
        var (code, output, error) = await CliRunner.RunAsync([.. args, "--data", Path.Combine(AFile, "sub")]);

        Assert.Equal(1, code);
        Assert.Equal($"error: The data directory '{AFile}/sub' cannot be made: '{AFile}' is a file, not a directory. (run with --verbose for the detail)", error.Trim());
        Assert.DoesNotContain("Started silo", output);
    }

    [Fact]
    public async Task Silo_DataIsAFile_OneLineBeforeTheSiloStarts()
    {
        var (code, output, error) = await CliRunner.RunAsync("silo", "--silo-port", "11198", "--gateway-port", "30098", "--data", AFile);

        Assert.Equal(1, code);
        Assert.Equal($"error: The data directory '{AFile}' is a file, not a directory. (run with --verbose for the detail)", error.Trim());
        Assert.DoesNotContain("Started silo", output);
    }

    [Fact]
    public async Task VerbThatOnlyReads_DataIsAFile_SaysSoNotThatItDoesNotExist()
    {
        var (code, _, error) = await CliRunner.RunAsync("bank", "audit", "--data", AFile);

        Assert.Equal(2, code);
        Assert.StartsWith($"error: --data {AFile} is a file, not a directory", error.Trim(), StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
