using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Roundabout.Client.Embedded;
using Roundabout.Silo.Hosting;

namespace Roundabout.Tests.Clustering;

/// <summary>
/// The readiness file that container probes test: absent until the silo has started (joined its
/// cluster), present while it runs, gone once it stops; a file left by an earlier run of the same
/// container does not survive the start.
/// </summary>
public sealed class ReadinessFileTests
{
    [Fact]
    public async Task File_ExistsWhileTheSiloRuns_NotBeforeNorAfter()
    {
        var path = Path.Combine(Path.GetTempPath(), $"roundabout-ready-{Guid.NewGuid():N}");
        await File.WriteAllTextAsync(path, "left by a killed run");
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var sawStaleFileDuringStart = true;
        builder.UseOrleans(silo =>
        {
            silo.UseLocalhostClustering(EmbeddedSilo.FreePort(), EmbeddedSilo.FreePort());
            silo.UseReadinessFile(path);

            // Runs while the silo joins its cluster, before it is active.
            silo.AddStartupTask(
                (_, _) =>
                {
                    sawStaleFileDuringStart = File.Exists(path);
                    return Task.CompletedTask;
                },
                ServiceLifecycleStage.BecomeActive);
        });
        using var host = builder.Build();
        try
        {
            await host.StartAsync();
            Assert.False(sawStaleFileDuringStart, "the last run's file still said ready while this silo was starting");
            Assert.True(File.Exists(path), "no readiness file once the silo has started");

            await host.StopAsync();
            Assert.False(File.Exists(path), "the readiness file outlived the silo");
        }
        finally
        {
            File.Delete(path);
        }
    }
}
