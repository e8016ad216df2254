using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace Roundabout.Silo.Persistence.Postgres;

/// <summary>The PostgreSQL record store's settings. Every default is documented on its property.</summary>
public sealed class PostgresStoreOptions
{
    /// <summary>An Npgsql connection string to the database every silo of the cluster shares. Required.</summary>
    public string ConnectionString { get; set; } = "";

    /// <summary>
    /// The table the records live in, created if missing (with a sequence and a function named after
    /// it). Letters, digits and underscores, starting with a letter or underscore, at most 40 characters,
    /// optionally prefixed by a schema ("schema.table"). Default: <c>roundabout_records</c>.
    /// </summary>
    public string Table { get; set; } = "roundabout_records";

    /// <summary>The most write batches one database transaction carries (group commit). Default: 512.</summary>
    public int MaxBatchRequests { get; set; } = 512;

    /// <summary>
    /// The most connections one silo opens (its writer loop and its reads share them; a read waits
    /// for a free one). It replaces any pool size in <see cref="ConnectionString"/>: the database's own
    /// limit (<c>max_connections</c>, 100 by default) is shared by every silo. Default: 16.
    /// </summary>
    public int MaxConnections { get; set; } = 16;
}

/// <summary>Rejects settings that cannot work, with a message that says which and why.</summary>
public sealed partial class PostgresStoreOptionsValidator : IValidateOptions<PostgresStoreOptions>
{
    public ValidateOptionsResult Validate(string? name, PostgresStoreOptions options)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            failures.Add($"{nameof(options.ConnectionString)} must be set to the PostgreSQL database the silos share (\"Host=...;Username=...;Password=...;Database=...\").");
        }
        else if (PostgresConnectionStrings.ParseError(options.ConnectionString) is { } error)
        {
            failures.Add($"{nameof(options.ConnectionString)} is not a valid connection string: {error}");
        }

        if (options.Table is null || !TableName().IsMatch(options.Table))
        {
            failures.Add($"{nameof(options.Table)} '{options.Table}' must be a table name of letters, digits and underscores (at most 40, not starting with a digit), optionally after a schema name and a dot.");
        }

        if (options.MaxConnections is < 2 or > 1_000)
        {
            failures.Add($"{nameof(options.MaxConnections)} is {options.MaxConnections}; it must be between 2 (the writer and one reader) and 1000.");
        }

        if (options.MaxBatchRequests is < 1 or > 65_536)
        {
            failures.Add($"{nameof(options.MaxBatchRequests)} is {options.MaxBatchRequests}; it must be between 1 and 65536.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    [GeneratedRegex("^([A-Za-z_][A-Za-z0-9_]{0,39}\\.)?[A-Za-z_][A-Za-z0-9_]{0,39}\\z")]
    private static partial Regex TableName();
}
