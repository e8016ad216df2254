using Roundabout.Client.Embedded;
using Roundabout.Silo.Persistence.FileLog;
using Roundabout.Tests.Storage;

namespace Roundabout.Tests.Cli;

/// <summary>
/// A silo opens its log while it starts: a second silo on a data directory that a running one holds
/// must not start at all (before, it started, and every transaction it was given failed).
/// </summary>
public sealed class DataDirectoryInUseTests
{
    [Fact]
    public async Task StartAsync_DirectoryHeldByARunningSilo_FailsToStartWithTheInUseError()
    {
        using var directory = new TempDataDirectory();
        await using var first = await EmbeddedSilo.StartAsync(directory.Path);

        var refused = await Record.ExceptionAsync(() => EmbeddedSilo.StartAsync(directory.Path));

        Assert.IsType<DataDirectoryInUseException>(Unwrap(refused));
    }

    [Fact]
    public async Task Silo_DirectoryHeldByARunningSilo_OneLineAndANonZeroExitCode()
    {
        using var directory = new TempDataDirectory();
        await using var first = await EmbeddedSilo.StartAsync(directory.Path);

        // A silo that does start runs until stopped: the deadline stops it, and the test fails.
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var (code, output, error) = await CliRunner.RunAsync(deadline.Token, "silo", "--data", directory.Path);

        Assert.NotEqual(0, code);
        var line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("is in use by another silo or command", line, StringComparison.Ordinal);
        // Refused before the silo is built: Orleans logs "Started silo" as soon as it builds one.
        Assert.DoesNotContain("Started silo", output, StringComparison.Ordinal);
    }

    private static Exception? Unwrap(Exception? exception)
    {
        while (exception is AggregateException or System.Reflection.TargetInvocationException && exception.InnerException is { } inner)
        {
            exception = inner;
        }

        return exception;
    }
}
