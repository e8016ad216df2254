using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Npgsql;
using Orleans.Configuration;
using Roundabout.Silo.Persistence.Postgres;

namespace Roundabout.Silo.Clustering;

public static class PostgresClusteringExtensions
{
    /// <summary>The ADO.NET invariant name under which Orleans' provider finds Npgsql.</summary>
    public const string NpgsqlInvariant = "Npgsql";

    /// <summary>
    /// Keeps the cluster's membership in PostgreSQL through Orleans' ADO.NET clustering provider, so
    /// silos on different hosts find each other and clients find their gateways
    /// (<c>UsePostgresClustering</c> on the client side). The silo creates the provider's tables
    /// when they are missing, unless <see cref="PostgresClusteringOptions.CreateSchema"/> is off.
    /// Every silo and client of a cluster names the same database and the same
    /// <c>ClusterOptions.ClusterId</c>.
    /// </summary>
    public static ISiloBuilder UsePostgresClustering(this ISiloBuilder builder, Action<PostgresClusteringOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        builder.ConfigureServices(services =>
        {
            services.Configure(configure);
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PostgresClusteringOptions>, PostgresClusteringOptionsValidator>());
            services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, PostgresClusteringSchemaCreator>();
        });
        builder.UseAdoNetClustering((OptionsBuilder<AdoNetClusteringSiloOptions> options) => options.Configure<IOptions<PostgresClusteringOptions>>((adoNet, postgres) =>
        {
            adoNet.Invariant = NpgsqlInvariant;
            adoNet.ConnectionString = postgres.Value.ConnectionString;
        }));
        return builder;
    }
}

/// <summary>
/// Creates the membership tables while the silo starts (<see cref="ServiceLifecycleStage.RuntimeInitialize"/>),
/// before Orleans' membership reads them (<see cref="ServiceLifecycleStage.RuntimeGrainServices"/>).
/// </summary>
internal sealed class PostgresClusteringSchemaCreator(IOptions<PostgresClusteringOptions> options) : ILifecycleParticipant<ISiloLifecycle>
{
    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(PostgresClusteringSchemaCreator), ServiceLifecycleStage.RuntimeInitialize, async cancellation =>
        {
            if (!options.Value.CreateSchema)
            {
                return;
            }

            try
            {
                await PostgresClusteringSchema.EnsureCreatedAsync(options.Value.ConnectionString, cancellation);
            }
            catch (Exception exception) when (exception is NpgsqlException or TimeoutException)
            {
                throw new InvalidOperationException(
                    $"Cannot prepare the cluster's membership tables in PostgreSQL ({PostgresConnectionStrings.Describe(options.Value.ConnectionString)}): {exception.Message}", exception);
            }
        });
}
