using Microsoft.Extensions.DependencyInjection;
using Roundabout.Storage;

namespace Roundabout.Silo.Hosting;

/// <summary>
/// Opens the silo's record store while the silo starts, not when the first grain needs it: a store
/// that cannot open (its data directory held by another silo, a damaged log) then stops the start
/// with its own error, instead of a silo that runs and fails every transaction.
/// </summary>
internal sealed class RecordStoreOpener(IServiceProvider services) : ILifecycleParticipant<ISiloLifecycle>
{
    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(RecordStoreOpener), ServiceLifecycleStage.RuntimeInitialize, cancellation =>
        {
            services.GetRequiredService<IRecordStore>();
            return Task.CompletedTask;
        });
}
