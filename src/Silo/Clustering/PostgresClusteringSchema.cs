using Npgsql;

namespace Roundabout.Silo.Clustering;

/// <summary>
/// The tables and statements Orleans' ADO.NET clustering provider needs in PostgreSQL
/// (<c>postgres-clustering.sql</c>, an embedded resource), created when missing.
/// </summary>
public static class PostgresClusteringSchema
{
    private const string ResourceName = "Roundabout.Silo.Clustering.postgres-clustering.sql";

    /// <summary>The script, as a person would run it with psql.</summary>
    public static string Script { get; } = ReadScript();

    /// <summary>
    /// Runs the script in one transaction, under an advisory lock: silos that start together would
    /// otherwise race to create the same tables, and PostgreSQL's "IF NOT EXISTS" does not cover two
    /// creations at once.
    /// </summary>
    public static async Task EnsureCreatedAsync(string connectionString, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var lockSchema = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtext('roundabout:orleans-clustering'))", connection, transaction))
        {
            await lockSchema.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var create = new NpgsqlCommand(Script, connection, transaction))
        {
            await create.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    private static string ReadScript()
    {
        using var stream = typeof(PostgresClusteringSchema).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"The resource {ResourceName} is missing from {typeof(PostgresClusteringSchema).Assembly.GetName().Name}.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
