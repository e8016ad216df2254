using Npgsql;

namespace Roundabout.Silo.Persistence.Postgres;

/// <summary>
/// What the record store, the membership and the command each need to know about an Npgsql
/// connection string: whether it parses, and how to name it in a message without its password.
/// </summary>
public static class PostgresConnectionStrings
{
    /// <summary>
    /// Null when <paramref name="connectionString"/> parses and names a host, else why not (Npgsql's
    /// reason where it gives one). Npgsql itself fails later and less clearly on such strings: "a="
    /// throws a bare "the given key was not present", and a string without Host fails at the first
    /// connection with "Value cannot be null".
    /// </summary>
    public static string? ParseError(string connectionString)
    {
        NpgsqlConnectionStringBuilder parsed;
        try
        {
            parsed = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (ArgumentException exception)
        {
            return exception.Message;
        }
        catch (Exception exception) when (exception is KeyNotFoundException or FormatException or InvalidCastException or OverflowException)
        {
            return $"Npgsql could not read it, {exception.GetType().Name}: a setting without a value, or one it does not know";
        }

        return string.IsNullOrWhiteSpace(parsed.Host) ? "it names no Host, the database server to connect to" : null;
    }

    /// <summary>The connection string without its password, for messages and logs.</summary>
    public static string Describe(string connectionString) =>
        ParseError(connectionString) is null
            ? new NpgsqlConnectionStringBuilder(connectionString) { Password = null }.ConnectionString
            : "(a connection string that does not parse)";
}
