using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Roundabout.Silo.Hosting;

/// <summary>
/// A file that exists while the silo is a member of its cluster, for container probes
/// (<c>test -f FILE</c>): written once the host has started, which Orleans' silo service only lets
/// happen after the silo has joined the cluster and become active; removed as soon as the host
/// begins to stop. A gateway port that accepts connections says less: Orleans listens on it before
/// the silo has joined.
/// </summary>
public static class ReadinessFileExtensions
{
    /// <summary>The silo host's setting for the file ("Roundabout:" + this).</summary>
    public const string SettingName = "ReadyFile";

    public static ISiloBuilder UseReadinessFile(this ISiloBuilder builder, string path)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        builder.Services.AddHostedService(services => new ReadinessFile(Path.GetFullPath(path), services.GetRequiredService<IHostApplicationLifetime>()));
        return builder;
    }
}

internal sealed class ReadinessFile(string path, IHostApplicationLifetime lifetime) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        // A container restarted in place keeps its files: the last run's file must not say "ready"
        // before this run has joined.
        File.Delete(path);
        lifetime.ApplicationStarted.Register(() => File.WriteAllText(path, $"{DateTime.UtcNow:O}{Environment.NewLine}"));
        lifetime.ApplicationStopping.Register(() => File.Delete(path));
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        File.Delete(path);
        return Task.CompletedTask;
    }
}
