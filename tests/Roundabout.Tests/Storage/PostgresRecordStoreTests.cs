using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using Orleans.Storage;
using Roundabout.Silo.Persistence.Postgres;
using Roundabout.Storage;
using Roundabout.Tests.Infrastructure;
using Roundabout.Tests.Unit;

namespace Roundabout.Tests.Storage;

/// <summary>
/// The PostgreSQL store keeps the record store's promises (the contract tests, on a private
/// server), and those that a store shared by several silos needs: two store instances, as two silos
/// would have, see each other's writes, and of two creates of one key from different silos exactly
/// one wins (a decision record has one first writer). Records outlive the store that wrote them.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresRecordStoreTests(PostgresFixture postgres) : RecordStoreContractTests, IAsyncLifetime
{
    private readonly string _prefix = $"t-{Guid.NewGuid():N}/";
    private PostgresRecordStore _store = null!;

    protected override IRecordStore Store => _store;

    protected override string Key(string name) => _prefix + name;

    public Task InitializeAsync()
    {
        _store = Open();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _store.DisposeAsync();

    [Fact]
    public async Task TwoSilosStores_SeeEachOthersWrites_AndRefuseEachOthersStaleETags()
    {
        await using var other = Open();
        var etag = await Store.WriteAsync(RecordWrite.Put(Key("a"), new byte[] { 1 }, null));

        var seen = await other.ReadAsync(Key("a"));
        Assert.Equal(etag, seen!.ETag);
        var next = await other.WriteAsync(RecordWrite.Put(Key("a"), new byte[] { 2 }, etag));

        await Assert.ThrowsAsync<InconsistentStateException>(() => Store.WriteAsync(RecordWrite.Put(Key("a"), new byte[] { 3 }, etag)));
        Assert.Equal(next, (await Store.ReadAsync(Key("a")))!.ETag);
    }

    [Fact]
    public async Task ConcurrentCreatesFromTwoSilos_ExactlyOneWins()
    {
        await using var other = Open();
        var stores = new IRecordStore[] { Store, other };

        for (var round = 0; round < 20; round++)
        {
            var key = Key($"decision-{round}");
            var outcomes = await Task.WhenAll(Enumerable.Range(0, 8).Select(async i =>
            {
                try
                {
                    await stores[i % 2].WriteAsync(RecordWrite.Put(key, new[] { (byte)i }, null));
                    return true;
                }
                catch (InconsistentStateException)
                {
                    return false;
                }
            }));

            Assert.Equal(1, outcomes.Count(won => won));
        }
    }

    [Fact]
    public async Task Records_OutliveTheStoreThatWroteThem()
    {
        string? etag;
        await using (var first = Open())
        {
            etag = await first.WriteAsync(RecordWrite.Put(Key("kept"), new byte[] { 7, 8 }, null));
        }

        await using var second = Open();
        var record = await second.ReadAsync(Key("kept"));
        Assert.Equal(etag, record!.ETag);
        Assert.Equal(new byte[] { 7, 8 }, record.Value.ToArray());
    }

    [Fact]
    public async Task ManyConcurrentWriters_AllAcknowledged_AndEachReadsBackItsOwnValue()
    {
        var writes = await Task.WhenAll(Enumerable.Range(0, 500).Select(i =>
            Store.WriteAsync(RecordWrite.Put(Key($"w{i}"), BitConverter.GetBytes(i), null))));

        Assert.Equal(500, writes.Where(etag => etag is not null).Distinct().Count());
        for (var i = 0; i < 500; i += 50)
        {
            Assert.Equal(i, BitConverter.ToInt32((await Store.ReadAsync(Key($"w{i}")))!.Value.Span));
        }
    }

    [Theory]
    [InlineData("nul")]
    [InlineData("lone surrogate")]
    [InlineData("too long")]
    public async Task Write_KeyPostgresCannotHold_IsRefusedAsAnArgument_AndOtherWritesGoOn(string what)
    {
        // Made here: xUnit would carry a lone surrogate in test data as U+FFFD.
        var badKey = what switch
        {
            "nul" => "nul\0inside",
            "lone surrogate" => "lone" + (char)0xD800 + "surrogate",
            _ => new string('k', PostgresRecordStore.MaxKeyBytes + 1),
        };

        var refused = await Assert.ThrowsAsync<ArgumentException>(() => Store.WriteAsync(RecordWrite.Put(Key(badKey), new byte[] { 1 }, null)));

        Assert.Contains("key", refused.Message, StringComparison.OrdinalIgnoreCase);
        Assert.NotNull(await Store.WriteAsync(RecordWrite.Put(Key("fine"), new byte[] { 1 }, null)));
    }

    [Fact]
    public async Task DatabaseGoesDown_ReadsAndWritesFailAsUnavailable_AndWorkAgainOnceItIsBack()
    {
        var etag = await Store.WriteAsync(RecordWrite.Put(Key("a"), new byte[] { 1 }, null));

        await postgres.Server.KillAsync();
        try
        {
            var read = await Assert.ThrowsAsync<RecordStoreUnavailableException>(() => Store.ReadAsync(Key("a")));
            Assert.Contains("PostgreSQL", read.Message, StringComparison.Ordinal);
            await Assert.ThrowsAsync<RecordStoreUnavailableException>(() => Store.WriteAsync(RecordWrite.Put(Key("a"), new byte[] { 2 }, etag)));
        }
        finally
        {
            await postgres.Server.RestartAsync();
        }

        // The write that failed may or may not have happened (here it did not: the server was down).
        var current = await Store.ReadAsync(Key("a"));
        var next = await Store.WriteAsync(RecordWrite.Put(Key("a"), new byte[] { 3 }, current!.ETag));
        Assert.Equal(next, (await Store.ReadAsync(Key("a")))!.ETag);
    }

    [Fact]
    public async Task DatabaseStopsTakingConnections_AFailedOpenSaysNothingWritten_ALostConnectionDoesNot()
    {
        var database = $"outage_{Guid.NewGuid():N}";
        var connectionString = await postgres.Server.CreateDatabaseAsync(database);
        await using var store = new PostgresRecordStore(Options.Create(new PostgresStoreOptions { ConnectionString = connectionString }), NullLogger<PostgresRecordStore>.Instance);
        var etag = await store.WriteAsync(RecordWrite.Put("a", new byte[] { 1 }, null));

        await postgres.Server.AdministerAsync($"ALTER DATABASE {database} ALLOW_CONNECTIONS false", $"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{database}'");
        try
        {
            // The writer's connection was cut under it: that proves nothing about what was written.
            var lost = await Assert.ThrowsAsync<RecordStoreUnavailableException>(() => store.WriteAsync(RecordWrite.Put("a", new byte[] { 2 }, etag)));
            Assert.False(lost.NothingWritten, $"a lost connection was said to have written nothing: {lost.Message}");

            // The next flush cannot open a connection at all: certainly nothing written.
            var refused = await Assert.ThrowsAsync<RecordStoreUnavailableException>(() => store.WriteAsync(RecordWrite.Put("a", new byte[] { 3 }, etag)));
            Assert.True(refused.NothingWritten, $"a write whose connection could not be opened was not said to have written nothing: {refused.Message}");
            Assert.Contains("Nothing was written", refused.Message, StringComparison.Ordinal);
        }
        finally
        {
            await postgres.Server.AdministerAsync($"ALTER DATABASE {database} ALLOW_CONNECTIONS true");
        }

        var kept = await store.ReadAsync("a");
        Assert.Equal(etag, kept!.ETag);
        Assert.Equal(new byte[] { 1 }, kept.Value.ToArray());
    }

    [Fact]
    public async Task DatabaseAnswersAWriteWithAnError_TheFailureSaysNothingWritten()
    {
        var database = $"refusing_{Guid.NewGuid():N}";
        var connectionString = await postgres.Server.CreateDatabaseAsync(database);
        await using var store = new PostgresRecordStore(Options.Create(new PostgresStoreOptions { ConnectionString = connectionString }), NullLogger<PostgresRecordStore>.Instance);
        await store.WriteAsync(RecordWrite.Put("a", new byte[] { 1 }, null));

        // An error the server answers (here: the table is gone) rolls the flush's transaction back.
        await using (var connection = new NpgsqlConnection(connectionString))
        {
            await connection.OpenAsync();
            await using var drop = new NpgsqlCommand("DROP TABLE roundabout_records", connection);
            await drop.ExecuteNonQueryAsync();
        }

        var refused = await Assert.ThrowsAsync<RecordStoreUnavailableException>(() => store.WriteAsync(RecordWrite.Put("b", new byte[] { 2 }, null)));
        Assert.True(refused.NothingWritten, refused.Message);
        Assert.Contains("42P01", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ManyConcurrentReads_OpenAtMostMaxConnections_WhateverPoolSizeTheConnectionStringNames()
    {
        // Two silos at Npgsql's default pool of 100 each exhausted the server's max_connections.
        var application = $"cap{Guid.NewGuid():N}"[..20];
        var connectionString = $"{postgres.Server.ConnectionString};Maximum Pool Size=100;Application Name={application}";
        await using (var capped = new PostgresRecordStore(
            Options.Create(new PostgresStoreOptions { ConnectionString = connectionString, MaxConnections = 3 }), NullLogger<PostgresRecordStore>.Instance))
        {
            await Task.WhenAll(Enumerable.Range(0, 200).Select(i => capped.ReadAsync(Key($"r{i}"))));

            // The pool keeps what it opened (idle) for minutes: the count is the most it ever had.
            await using var probe = new NpgsqlConnection(postgres.Server.ConnectionString);
            await probe.OpenAsync();
            await using var count = new NpgsqlCommand("SELECT count(*) FROM pg_stat_activity WHERE application_name = $1", probe);
            count.Parameters.AddWithValue(application);
            var open = (long)(await count.ExecuteScalarAsync())!;
            Assert.InRange(open, 1, 3);
        }
    }

    [Fact]
    public void Options_NoConnectionString_IsRefusedSayingWhatToSet()
    {
        var refused = Assert.Throws<OptionsValidationException>(() => new PostgresRecordStore(Options.Create(new PostgresStoreOptions()), NullLogger<PostgresRecordStore>.Instance));

        Assert.Contains(nameof(PostgresStoreOptions.ConnectionString), refused.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("order", "order")]
    [InlineData("Mixed_Case", "mixed_case")]
    [InlineData("public.user", "user")]
    public async Task Options_TableNamedByAReservedWordOrInMixedCase_Works(string table, string created)
    {
        await using (var store = new PostgresRecordStore(
            Options.Create(new PostgresStoreOptions { ConnectionString = postgres.Server.ConnectionString, Table = table }), NullLogger<PostgresRecordStore>.Instance))
        {
            var etag = await store.WriteAsync(RecordWrite.Put(Key("named"), new byte[] { 7 }, null));
            Assert.Equal(etag, (await store.ReadAsync(Key("named")))?.ETag);
        }

        await using var connection = new NpgsqlConnection(postgres.Server.ConnectionString);
        await connection.OpenAsync();
        await using var find = new NpgsqlCommand("SELECT count(*) FROM pg_class WHERE relname = $1 AND relkind = 'r'", connection);
        find.Parameters.AddWithValue(created);
        Assert.Equal(1L, await find.ExecuteScalarAsync());
    }

    [Theory]
    [InlineData("records; drop table x")]
    [InlineData("1starts_with_a_digit")]
    [InlineData("")]
    public void Options_TableNameThatIsNotAnIdentifier_IsRefused(string table)
    {
        var refused = Assert.Throws<OptionsValidationException>(() => new PostgresRecordStore(
            Options.Create(new PostgresStoreOptions { ConnectionString = postgres.Server.ConnectionString, Table = table }), NullLogger<PostgresRecordStore>.Instance));

        Assert.Contains(nameof(PostgresStoreOptions.Table), refused.Message, StringComparison.Ordinal);
    }

    private PostgresRecordStore Open() => new(
        Options.Create(new PostgresStoreOptions { ConnectionString = postgres.Server.ConnectionString }),
        NullLogger<PostgresRecordStore>.Instance);
}
