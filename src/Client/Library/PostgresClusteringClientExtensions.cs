using Orleans.Configuration;
using Roundabout.Silo.Clustering;

namespace Roundabout.Client.Library;

public static class PostgresClusteringClientExtensions
{
    /// <summary>
    /// Finds the cluster's gateways in the PostgreSQL database where its silos keep their membership
    /// (the silos' <c>UsePostgresClustering</c>), and follows them as silos join and leave. The client
    /// needs the same <c>ClusterOptions.ClusterId</c> as the silos. It creates nothing: a database
    /// without the membership tables is refused when the client connects.
    /// </summary>
    public static IClientBuilder UsePostgresClustering(this IClientBuilder builder, string connectionString)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        var problem = new PostgresClusteringOptionsValidator().Validate(null, new PostgresClusteringOptions { ConnectionString = connectionString });
        if (problem.Failed)
        {
            throw new ArgumentException(problem.FailureMessage, nameof(connectionString));
        }

        return builder.UseAdoNetClustering((AdoNetClusteringClientOptions options) =>
        {
            options.Invariant = PostgresClusteringExtensions.NpgsqlInvariant;
            options.ConnectionString = connectionString;
        });
    }
}
