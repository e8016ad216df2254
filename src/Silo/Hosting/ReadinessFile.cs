using Microsoft.Extensions.DependencyInjection;

namespace Roundabout.Silo.Hosting;

/// <summary>
/// A file that exists while the silo is a member of its cluster, for container probes
/// (<c>test -f FILE</c>): written when the silo's lifecycle reaches
/// <see cref="ServiceLifecycleStage.Active"/>, after it has joined the cluster, and removed as the
/// silo begins to stop (that stage stops first). A gateway port that accepts connections says less:
/// Orleans listens on it before the silo has joined.
/// </summary>
public static class ReadinessFileExtensions
{
    /// <summary>The silo host's setting for the file ("Roundabout:" + this).</summary>
    public const string SettingName = "ReadyFile";

    public static ISiloBuilder UseReadinessFile(this ISiloBuilder builder, string path)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        builder.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(new ReadinessFile(Path.GetFullPath(path)));
        return builder;
    }
}

internal sealed class ReadinessFile(string path) : ILifecycleParticipant<ISiloLifecycle>
{
    public void Participate(ISiloLifecycle lifecycle)
    {
        // A container restarted in place keeps its files: the last run's file must not say "ready"
        // while this run is still joining.
        lifecycle.Subscribe(nameof(ReadinessFile), ServiceLifecycleStage.First, _ => Remove());
        lifecycle.Subscribe(
            nameof(ReadinessFile),
            ServiceLifecycleStage.Active,
            _ => File.WriteAllTextAsync(path, $"{DateTime.UtcNow:O}{Environment.NewLine}"),
            _ => Remove());
    }

    private Task Remove()
    {
        File.Delete(path);
        return Task.CompletedTask;
    }
}
