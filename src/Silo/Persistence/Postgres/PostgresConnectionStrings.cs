using Npgsql;

namespace Roundabout.Silo.Persistence.Postgres;

/// <summary>
/// What the record store, the membership and the command each need to know about an Npgsql
/// connection string: whether it parses, and how to name it in a message without its password.
/// </summary>
public static class PostgresConnectionStrings
{
    /// <summary>Null when <paramref name="connectionString"/> parses, else Npgsql's reason.</summary>
    public static string? ParseError(string connectionString)
    {
        try
        {
            _ = new NpgsqlConnectionStringBuilder(connectionString);
            return null;
        }
        catch (ArgumentException exception)
        {
            return exception.Message;
        }
    }

    /// <summary>The connection string without its password, for messages and logs.</summary>
    public static string Describe(string connectionString) =>
        ParseError(connectionString) is null
            ? new NpgsqlConnectionStringBuilder(connectionString) { Password = null }.ConnectionString
            : "(a connection string that does not parse)";
}
