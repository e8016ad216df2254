using Microsoft.Extensions.Options;
using Roundabout.Silo.Persistence.Postgres;

namespace Roundabout.Silo.Clustering;

/// <summary>Cluster membership in PostgreSQL (<see cref="PostgresClusteringExtensions.UsePostgresClustering(ISiloBuilder, Action{PostgresClusteringOptions})"/>).</summary>
public sealed class PostgresClusteringOptions
{
    /// <summary>
    /// An Npgsql connection string to the database where the silos keep the cluster's membership;
    /// usually the same database as their records. Required.
    /// </summary>
    public string ConnectionString { get; set; } = "";

    /// <summary>
    /// Whether the silo creates the membership tables and registers the provider's statements when
    /// they are missing (<c>postgres-clustering.sql</c>, embedded in Roundabout.Silo). Turn it off
    /// when the silos' database user may not create tables, and run that script by hand. Default: true.
    /// </summary>
    public bool CreateSchema { get; set; } = true;
}

/// <summary>Rejects settings that cannot work, with a message that says which and why.</summary>
public sealed class PostgresClusteringOptionsValidator : IValidateOptions<PostgresClusteringOptions>
{
    public ValidateOptionsResult Validate(string? name, PostgresClusteringOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            return ValidateOptionsResult.Fail($"{nameof(options.ConnectionString)} must be set to the PostgreSQL database that holds the cluster's membership (\"Host=...;Username=...;Password=...;Database=...\").");
        }

        if (PostgresConnectionStrings.ParseError(options.ConnectionString) is { } error)
        {
            return ValidateOptionsResult.Fail($"{nameof(options.ConnectionString)} is not a valid connection string: {error}");
        }

        return ValidateOptionsResult.Success;
    }
}
