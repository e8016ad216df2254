using System.Globalization;
using Roundabout.Client.Embedded;
using Roundabout.Silo.Persistence.FileLog;
using Roundabout.Tests.Storage;

namespace Roundabout.Tests.Cli;

/// <summary>
/// A silo that cannot start on its --data (held by another silo, a path that cannot be made) is
/// one error line and exit 1: the host's and Orleans' logs of the failed start, each with the
/// whole exception, came first on standard output (about 60 lines, 300 for `roundabout silo`).
/// </summary>
public sealed class StartFailureOutputTests
{
    /// <summary>"/proc/nope": a directory not even root can make.</summary>
    [Theory]
    [InlineData("silo", true)]
    [InlineData("bank", true)]
    [InlineData("silo", false)]
    [InlineData("bank", false)]
    public async Task Command_DataDirectoryUnusable_OneErrorLineAndNoLogOfTheFailedStart(string verb, bool held)
    {
        using var directory = new TempDataDirectory();
        await using var holder = held ? await EmbeddedSilo.StartAsync(directory.Path) : null;
        var data = held ? directory.Path : "/proc/nope";
        string[] args = verb == "silo"
            ? ["silo", "--data", data, "--silo-port", Port(), "--gateway-port", Port()]
            : ["bank", "init", "--accounts", "2", "--data", data]; // a verb that writes: one that only reads refuses a missing --data before it starts

        var (code, output, error) = await CliRunner.RunProcessAsync(directory.Path, args);

        Assert.Equal(1, code);
        var line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(held ? "is in use by another silo or command" : "/proc/nope", line, StringComparison.Ordinal);
        AssertNoLogOfTheFailure(output);
    }

    [Fact]
    public async Task EmbeddedSiloStartAsync_DirectoryHeld_ThrowsWithoutLoggingTheFailure()
    {
        using var directory = new TempDataDirectory();
        await using var holder = await EmbeddedSilo.StartAsync(directory.Path);

        var (_, output, error) = await CliRunner.CaptureAsync(async () =>
        {
            var refused = await Record.ExceptionAsync(() => EmbeddedSilo.StartAsync(directory.Path));
            Assert.IsType<DataDirectoryInUseException>(refused);
            return 0;
        });

        AssertNoLogOfTheFailure(output + error);
    }

    private static string Port() => EmbeddedSilo.FreePort().ToString(CultureInfo.InvariantCulture);

    private static void AssertNoLogOfTheFailure(string output)
    {
        Assert.DoesNotContain("fail:", output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
    }
}
