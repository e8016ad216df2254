using System.Runtime.ExceptionServices;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Roundabout.Client.Embedded;

/// <summary>
/// How hosts that live inside another program are built: the library's embedded silo, and the
/// `roundabout` command's silos and clients. The program owns the process; the host does not.
/// </summary>
internal static class EmbeddedHost
{
    /// <summary>
    /// <see cref="Host.CreateApplicationBuilder()"/> without watching the working directory for
    /// configuration changes: an embedded silo writes its log below that directory (./data), and
    /// the watcher woke up for every write (about 2% of a benchmark's CPU). Nothing here reads
    /// configuration files, so there is nothing to reload.
    /// </summary>
    /// <remarks>
    /// The host does not handle Ctrl+C or SIGTERM itself: the process that embeds it owns its
    /// signals (the `roundabout` command's StopSignals cancel the command, which then stops its
    /// hosts; an application stops its <c>EmbeddedSilo</c> by disposing it). The default console
    /// lifetime would swallow the signal and only stop this host, under the caller's feet.
    /// </remarks>
    /// <param name="verbose">
    /// Keep the host's own log of a start that failed. A host logs "Hosting failed to start" with
    /// the whole exception (on standard output, through the console logger) and then throws that
    /// exception, which the command reports in one line and a library's caller gets: unless
    /// verbose, the log is only a duplicate of it.
    /// </param>
    public static HostApplicationBuilder CreateBuilder(bool verbose)
    {
        var builder = Host.CreateApplicationBuilder(["--hostBuilder:reloadConfigOnChange=false"]);
        builder.Services.AddSingleton<IHostLifetime, SignalFreeLifetime>();
        if (!verbose)
        {
            builder.Logging.AddFilter("Microsoft.Extensions.Hosting", LogLevel.None);
        }

        return builder;
    }

    /// <summary>
    /// Stops <paramref name="host"/> and disposes of it (asynchronously where it can), also when the
    /// stop fails or is cut short: a silo's disposal is what closes its log and releases the data
    /// directory's lock, which a retry in the same process would otherwise find held.
    /// </summary>
    public static async ValueTask StopAndDisposeAsync(IHost host, CancellationToken cancellationToken = default)
    {
        Exception? stopFailure = null;
        try
        {
            await host.StopAsync(cancellationToken);
        }
        catch (Exception exception)
        {
            stopFailure = exception;
        }

        try
        {
            if (host is IAsyncDisposable disposable)
            {
                await disposable.DisposeAsync();
            }
            else
            {
                host.Dispose();
            }
        }
        catch (Exception disposeFailure) when (stopFailure is not null)
        {
            // Both matter: the stop's failure is what went wrong first.
            throw new AggregateException(stopFailure, disposeFailure);
        }

        if (stopFailure is not null)
        {
            ExceptionDispatchInfo.Throw(stopFailure);
        }
    }

    /// <summary>A host lifetime that leaves process signals to the process that embeds the host.</summary>
    private sealed class SignalFreeLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
