using Npgsql;

namespace Roundabout.Silo.Persistence.Postgres;

/// <summary>
/// The PostgreSQL objects behind <see cref="PostgresRecordStore"/>: a table of records, a sequence
/// for ETags and the function that applies one write batch, all named after the table; and the
/// statements the store sends.
/// </summary>
/// <remarks>
/// The table name was validated (letters, digits, underscores, an optional schema). It goes into SQL
/// folded to lower case, as PostgreSQL folds a name without quotes, and then quoted: so a name that
/// is a reserved word ("order", "user") works, and any other names the table it always did.
/// </remarks>
internal sealed class PostgresSchema
{
    private readonly string _name;
    private readonly string _table;
    private readonly string _sequence;
    private readonly string _function;

    public PostgresSchema(string table)
    {
        _name = table;
        var parts = table.ToLowerInvariant().Split('.');
        string Quoted(string suffix) => string.Join('.', parts[..^1].Append(parts[^1] + suffix).Select(part => $"\"{part}\""));
        _table = Quoted("");
        _sequence = Quoted("_etag");
        _function = Quoted("_write");
    }

    /// <summary>A record's value and ETag by key.</summary>
    public string Read => $"SELECT value, etag FROM {_table} WHERE key = $1";

    /// <summary>One write batch: keys, values (NULL deletes) and expected ETags (NULL: must not exist).</summary>
    public string WriteBatch => $"SELECT {_function}($1, $2, $3)";

    /// <summary>
    /// Creates what is missing. Silos that start together take an advisory lock first: PostgreSQL
    /// refuses concurrent replacements of one function.
    /// </summary>
    public void EnsureCreated(NpgsqlDataSource dataSource)
    {
        using var connection = dataSource.OpenConnection();
        using var transaction = connection.BeginTransaction();
        using (var lockSchema = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtext($1))", connection, transaction))
        {
            lockSchema.Parameters.AddWithValue($"roundabout:{_name}");
            lockSchema.ExecuteNonQuery();
        }

        using (var create = new NpgsqlCommand(CreateStatements, connection, transaction))
        {
            create.ExecuteNonQuery();
        }

        transaction.Commit();
    }

    /// <summary>
    /// The function returns the batch's new ETag, or -n when write n (from 1) did not match, having
    /// changed nothing. It checks before it writes: every row a write names the ETag of is locked
    /// and checked first, so those writes cannot fail later. Creates come next; one that finds the
    /// key taken (by another writer, maybe on another silo, whose insert it waited for) deletes the
    /// rows this batch created and fails it. No exception block: each would be a subtransaction,
    /// which PostgreSQL makes expensive and, past 64 in one transaction, much slower still, and a
    /// flush carries hundreds of batches.
    /// </summary>
    private string CreateStatements => $"""
        CREATE TABLE IF NOT EXISTS {_table} (
            key text PRIMARY KEY,
            value bytea NOT NULL,
            etag bigint NOT NULL);
        CREATE SEQUENCE IF NOT EXISTS {_sequence};
        CREATE OR REPLACE FUNCTION {_function}(keys text[], vals bytea[], expected bigint[]) RETURNS bigint
        LANGUAGE plpgsql AS $fn$
        DECLARE
            n int := coalesce(array_length(keys, 1), 0);
            tag bigint;
            current bigint;
            created text[] := ARRAY[]::text[];
        BEGIN
            FOR i IN 1 .. n LOOP
                IF expected[i] IS NOT NULL THEN
                    SELECT etag INTO current FROM {_table} WHERE key = keys[i] FOR UPDATE;
                    IF NOT FOUND OR current <> expected[i] THEN RETURN -i; END IF;
                ELSIF vals[i] IS NULL THEN
                    PERFORM 1 FROM {_table} WHERE key = keys[i];
                    IF FOUND THEN RETURN -i; END IF;
                END IF;
            END LOOP;
            tag := nextval('{_sequence}');
            FOR i IN 1 .. n LOOP
                IF expected[i] IS NULL AND vals[i] IS NOT NULL THEN
                    INSERT INTO {_table} (key, value, etag) VALUES (keys[i], vals[i], tag) ON CONFLICT (key) DO NOTHING;
                    IF NOT FOUND THEN
                        DELETE FROM {_table} WHERE key = ANY (created);
                        RETURN -i;
                    END IF;
                    created := created || keys[i];
                END IF;
            END LOOP;
            FOR i IN 1 .. n LOOP
                IF expected[i] IS NOT NULL THEN
                    IF vals[i] IS NULL THEN
                        DELETE FROM {_table} WHERE key = keys[i];
                    ELSE
                        UPDATE {_table} SET value = vals[i], etag = tag WHERE key = keys[i];
                    END IF;
                END IF;
            END LOOP;
            RETURN tag;
        END
        $fn$;
        """;
}
