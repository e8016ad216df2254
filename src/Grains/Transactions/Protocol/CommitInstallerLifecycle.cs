using Microsoft.Extensions.DependencyInjection;

namespace Roundabout.Transactions.Protocol;

/// <summary>
/// Stops the silo's <see cref="CommitInstaller"/> from sending installs again once the silo starts
/// stopping. A participant of its own, which finds the installer only then: the silo creates its
/// lifecycle participants before it validates its configuration, and the installer needs the record
/// store, whose absence the validation should be the one to report.
/// </summary>
internal sealed class CommitInstallerLifecycle(IServiceProvider services) : ILifecycleParticipant<ISiloLifecycle>
{
    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(CommitInstallerLifecycle), ServiceLifecycleStage.Active, _ => Task.CompletedTask, _ => StopAsync());

    private Task StopAsync() => services.GetService<CommitInstaller>()?.StopResendingAsync() ?? Task.CompletedTask;
}
