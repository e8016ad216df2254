using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Roundabout.Hosting;
using Roundabout.Silo.Persistence.Memory;
using Roundabout.Storage;
using Roundabout.Transactions;

namespace Roundabout.Silo.Hosting;

public static class RoundaboutSiloExtensions
{
    /// <summary>
    /// Everything a Roundabout silo needs: the transaction agent and the record store it
    /// persists through. Without a store registered beforehand, an in-memory one is used
    /// (nothing survives the process).
    /// </summary>
    public static ISiloBuilder AddRoundabout(this ISiloBuilder builder, Action<RoundaboutTransactionOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.ConfigureServices(services => services.TryAddSingleton<IRecordStore, InMemoryRecordStore>());
        builder.UseRoundaboutTransactions(configure);
        return builder;
    }

    /// <summary>Uses <paramref name="store"/> (for example one shared by every silo of a test cluster).</summary>
    public static ISiloBuilder UseRecordStore(this ISiloBuilder builder, IRecordStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        builder.ConfigureServices(services => services.AddSingleton(store));
        return builder;
    }
}
