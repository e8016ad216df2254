using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Roundabout.Client.Embedded;

/// <summary>How the command's processes build their hosts (an embedded silo, a silo, a client).</summary>
internal static class CommandHost
{
    /// <summary>
    /// <see cref="Host.CreateApplicationBuilder()"/> without watching the working directory for
    /// configuration changes: an embedded silo writes its log below that directory (./data), and
    /// the watcher woke up for every write (about 2% of a benchmark's CPU). The command reads no
    /// configuration files, so there is nothing to reload.
    /// </summary>
    /// <remarks>
    /// The host does not handle Ctrl+C or SIGTERM itself: the default console lifetime swallows
    /// the signal (it only stops the host), so the command's cancellation token never fired and a
    /// command ran to its end. <see cref="StopSignals"/> handles the signals and cancels the
    /// command, which then stops its hosts.
    /// </remarks>
    public static HostApplicationBuilder CreateBuilder()
    {
        var builder = Host.CreateApplicationBuilder(["--hostBuilder:reloadConfigOnChange=false"]);
        builder.Services.AddSingleton<IHostLifetime, CommandLifetime>();
        return builder;
    }

    /// <summary>A host lifetime that leaves process signals to the command.</summary>
    private sealed class CommandLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
