using Roundabout.Silo.Persistence.Postgres;

namespace Roundabout.Client.Commands;

/// <summary>No gateway answered, or the cluster's database could not be reached.</summary>
internal sealed class ClusterUnreachableException(string message, Exception? inner) : Exception(message, inner)
{
    /// <summary>The cluster's PostgreSQL database refused or did not answer: the same line for a client and for a silo.</summary>
    public static ClusterUnreachableException ForDatabase(string connectionString, Npgsql.NpgsqlException exception)
    {
        var why = exception is Npgsql.PostgresException refused ? $"{refused.SqlState}: {refused.MessageText}" : exception.Message;
        return new ClusterUnreachableException($"Cannot reach the cluster's PostgreSQL database {PostgresConnectionStrings.Describe(connectionString)}: {why}", exception);
    }

    /// <summary>Opens and closes one connection, so that a database that cannot be reached is said so before anything starts on it.</summary>
    public static async Task ThrowIfDatabaseUnreachableAsync(string connectionString, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = new Npgsql.NpgsqlConnection(connectionString);
            await connection.OpenAsync(cancellationToken);
        }
        catch (Npgsql.NpgsqlException exception)
        {
            throw ForDatabase(connectionString, exception);
        }
    }
}
