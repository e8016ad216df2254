using System.Diagnostics;
using Roundabout.Client.Embedded;
using Roundabout.Tests.Crash;
using Roundabout.Tests.Storage;

namespace Roundabout.Tests.Deployment;

/// <summary>
/// The silo host (the containers' entrypoint) refuses settings a person must fix with one line that
/// names the setting and exit code 2. It used to abort (exit 134, SIGABRT) with an unhandled
/// exception's stack, or log a whole failed start, which a supervisor shows as a crash.
/// </summary>
public sealed class SiloHostSettingsTests
{
    [Theory]
    [InlineData("Roundabout:Postgres:ConnectionString", "--Roundabout:Clustering", "Postgres")]
    [InlineData("'abc' at 'Roundabout:GatewayPort'", "--Roundabout:GatewayPort", "abc")]
    [InlineData("'Bogus' at 'Roundabout:Clustering'", "--Roundabout:Clustering", "Bogus")]
    [InlineData("'Foo' at 'Roundabout:Storage:Durability'", "--Roundabout:Storage:Durability", "Foo")]
    [InlineData("'soon' at 'Roundabout:Membership:ProbeTimeout'", "--Roundabout:Membership:ProbeTimeout", "soon")]
    public async Task Host_SettingThatCannotWork_OneLineNamingItAndExitCode2(string named, string setting, string value)
    {
        using var data = new TempDataDirectory();

        var (code, output) = await RunHostAsync(data.Path, setting, value);

        Assert.Equal(2, code);
        var line = Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: ", line, StringComparison.Ordinal);
        Assert.Contains(named, line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Host_DataDirectoryHeldByARunningSilo_OneLineBeforeAnythingStarts()
    {
        using var data = new TempDataDirectory();
        await using var holder = await EmbeddedSilo.StartAsync(data.Path);

        var (code, output) = await RunHostAsync(data.Path);

        // Only the line: not Orleans' "Started silo" (logged when it builds a silo) before it.
        Assert.Equal(2, code);
        var line = Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal($"error: The data directory '{data.Path}' is in use by another silo or command; stop it first, or give this one another data directory.", line);
    }

    private static async Task<(int Code, string Output)> RunHostAsync(string dataDirectory, params string[] settings)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in (string[])[
            SiloProcess.SiloAssembly(),
            "--Roundabout:Storage:DataDirectory", dataDirectory,
            "--Roundabout:SiloPort", EmbeddedSilo.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--Roundabout:GatewayPort", EmbeddedSilo.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
            .. settings])
        {
            start.ArgumentList.Add(argument);
        }

        using var host = Process.Start(start)!;
        var output = host.StandardOutput.ReadToEndAsync();
        var error = host.StandardError.ReadToEndAsync();
        try
        {
            await host.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        }
        finally
        {
            // A host that did start runs until stopped.
            if (!host.HasExited)
            {
                host.Kill(entireProcessTree: true);
            }
        }

        return (host.ExitCode, await output + await error);
    }
}
