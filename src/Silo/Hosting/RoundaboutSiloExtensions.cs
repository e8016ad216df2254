using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orleans.Storage;
using Roundabout.Hosting;
using Roundabout.Silo.Persistence.GrainStorage;
using Roundabout.Silo.Persistence.GroupCommit;
using Roundabout.Silo.Persistence.Postgres;
using Roundabout.Storage;
using Roundabout.Transactions;

namespace Roundabout.Silo.Hosting;

public static class RoundaboutSiloExtensions
{
    /// <summary>
    /// Everything a Roundabout silo needs: the transaction agent and the record store it
    /// persists through. Unless a store was registered first (<see cref="UseRecordStore"/>),
    /// that is the embedded group-commit log (<see cref="UseFileLog"/> configures it; its
    /// default directory is <c>./data</c>).
    /// </summary>
    public static ISiloBuilder AddRoundabout(this ISiloBuilder builder, Action<RoundaboutTransactionOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.ConfigureServices(services =>
        {
            services.AddOptions<GroupCommitOptions>();
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<GroupCommitOptions>, GroupCommitOptionsValidator>());
            services.TryAddSingleton<StorageMetrics>();
            services.TryAddSingleton<IRecordStore>(sp => ActivatorUtilities.CreateInstance<GroupCommitRecordStore>(sp));
            services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, RecordStoreOpener>();
        });
        builder.UseRoundaboutTransactions(configure);
        return builder;
    }

    /// <summary>Configures the embedded group-commit log (directory, durability, batching).</summary>
    public static ISiloBuilder UseFileLog(this ISiloBuilder builder, Action<GroupCommitOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.ConfigureServices(services => services.Configure(configure));
        return builder;
    }

    /// <summary>
    /// Keeps the silo's records in PostgreSQL instead of the embedded log: the store for clusters,
    /// since every silo of the cluster must reach the same records. Give each silo the same
    /// connection string. Works before or after <see cref="AddRoundabout"/>.
    /// </summary>
    public static ISiloBuilder UsePostgres(this ISiloBuilder builder, Action<PostgresStoreOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.ConfigureServices(services =>
        {
            services.Configure(configure);
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PostgresStoreOptions>, PostgresStoreOptionsValidator>());
            services.RemoveAll<IRecordStore>();
            services.AddSingleton<IRecordStore>(sp => ActivatorUtilities.CreateInstance<PostgresRecordStore>(sp));
        });
        return builder;
    }

    /// <summary>
    /// Uses <paramref name="store"/> (for example one shared by every silo of a test cluster)
    /// instead of any store registered before it. Works before or after <see cref="AddRoundabout"/>.
    /// </summary>
    public static ISiloBuilder UseRecordStore(this ISiloBuilder builder, IRecordStore store)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(store);
        builder.ConfigureServices(services =>
        {
            services.RemoveAll<IRecordStore>();
            services.AddSingleton(store);
        });
        return builder;
    }

    /// <summary>
    /// Registers Orleans grain storage named <paramref name="name"/> on the silo's record store,
    /// for <c>[PersistentState("state", name)]</c>.
    /// </summary>
    public static ISiloBuilder AddRoundaboutGrainStorage(this ISiloBuilder builder, string name = "Default")
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        builder.ConfigureServices(services => services.AddKeyedSingleton<IGrainStorage>(name, (sp, _) =>
            new RecordStoreGrainStorage(name, sp.GetRequiredService<IRecordStore>(), sp.GetRequiredService<IGrainStorageSerializer>())));
        return builder;
    }
}
