using Roundabout.Tests.Infrastructure;

namespace Roundabout.Tests.Storage;

/// <summary>The private server answers queries, and databases made for test classes accept connections (checked with psql, no driver).</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresServerTests(PostgresFixture fixture)
{
    [Fact]
    public async Task Server_answers_a_query()
    {
        Assert.Equal("2", await PsqlAsync("postgres", "select 1+1"));
    }

    [Fact]
    public async Task Created_database_accepts_connections()
    {
        var name = $"created_{Guid.NewGuid():N}";
        var connectionString = await fixture.Server.CreateDatabaseAsync(name);

        Assert.Contains($"Database={name};", connectionString, StringComparison.Ordinal);
        Assert.Equal(name, await PsqlAsync(name, "select current_database()"));
    }

    private async Task<string> PsqlAsync(string database, string sql)
    {
        var server = fixture.Server;

        // The server's own psql matches its version; Debian's /usr/bin/psql is a wrapper that picks one.
        var psql = Path.Combine(server.BinDirectory, "psql");
        psql = File.Exists(psql) ? psql : "/usr/bin/psql";

        // -X: a ~/.psqlrc must not change the output compared here.
        var output = await PostgresPrograms.RunAsync(psql,
            ["-X", "-h", "127.0.0.1", "-p", server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-U", "roundabout", "-d", database, "-Atc", sql],
            Path.GetTempPath());
        return output.Trim();
    }
}
