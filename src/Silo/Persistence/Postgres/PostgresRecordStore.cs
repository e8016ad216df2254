using System.Globalization;
using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using Orleans.Storage;
using Roundabout.Storage;

namespace Roundabout.Silo.Persistence.Postgres;

/// <summary>
/// The record store for clusters: every silo's records in one PostgreSQL table, so that a grain
/// finds its state whichever silo it activates on. Writes are group-committed: one writer loop
/// per silo sends everything pending as one database transaction, in one round trip.
/// </summary>
/// <remarks>
/// <para>
/// Each write batch is one call of a PL/pgSQL function (created with the table) that checks every
/// write's ETag and applies the batch, or, if one does not match, rolls its own changes back and
/// says which: batches that share a database transaction cannot fail each other. A "must not exist"
/// write is an insert that does nothing on a conflict, so when two silos create the same key at once
/// (two proposals for one decision record) exactly one wins; an update names the ETag it replaces,
/// so a concurrent writer's change makes it miss. ETags come from a sequence: unique across silos.
/// </para>
/// <para>
/// A batch is acknowledged once its transaction has committed, which with PostgreSQL's default
/// <c>synchronous_commit</c> means its WAL was flushed. The store does not claim an
/// <see cref="IRecordStore.OrderingDomain"/>: another silo's writes reach the same database
/// through connections of their own, so nothing orders them with this silo's.
/// </para>
/// <para>
/// A transaction the database refused as a deadlock or a serialization failure changed nothing,
/// and is sent again. Any other failure fails the batches it carried, and the writer starts the next
/// flush on a new connection. The database's own errors reach callers as
/// <see cref="RecordStoreUnavailableException"/>, which Orleans can carry to another silo or a
/// client; the store logs the original. It says <see cref="RecordStoreUnavailableException.NothingWritten"/>
/// when that is certain: no connection could be opened, or the database answered the batch with an
/// error (which rolled its transaction back). A connection lost or a time-out passed during the
/// commit proves nothing, and callers treat that outcome as unknown.
/// </para>
/// </remarks>
public sealed partial class PostgresRecordStore : IRecordStore, IAsyncDisposable
{
    /// <summary>How often a transaction refused as a deadlock or serialization failure is sent again.</summary>
    private const int MaxRetriesOfRefusedTransaction = 10;

    /// <summary>The longest key, in UTF-8 bytes: well inside what a PostgreSQL B-tree index entry may hold.</summary>
    public const int MaxKeyBytes = 2000;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly PostgresStoreOptions _options;
    private readonly ILogger _logger;
    private readonly NpgsqlDataSource _dataSource;
    private readonly PostgresSchema _schema;
    private readonly Channel<PendingBatch> _queue = Channel.CreateUnbounded<PendingBatch>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _writer;
    private NpgsqlConnection? _writerConnection;

    public PostgresRecordStore(IOptions<PostgresStoreOptions> options, ILogger<PostgresRecordStore> logger)
    {
        _options = options.Value;
        var validation = new PostgresStoreOptionsValidator().Validate(null, _options);
        if (validation.Failed)
        {
            throw new OptionsValidationException(nameof(PostgresStoreOptions), typeof(PostgresStoreOptions), validation.Failures);
        }

        _logger = logger;
        _schema = new PostgresSchema(_options.Table);
        _dataSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(_options.ConnectionString) { MaxPoolSize = _options.MaxConnections });
        try
        {
            // At construction, so that a silo whose database cannot be reached does not start.
            _schema.EnsureCreated(_dataSource);
        }
        catch
        {
            _dataSource.Dispose();
            throw;
        }

        _writer = Task.Run(WriterLoopAsync);
    }

    public async Task<StoredRecord?> ReadAsync(string key, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        try
        {
            return await ReadFromDatabaseAsync(key, cancellationToken);
        }
        catch (NpgsqlException exception)
        {
            LogReadFailed(_logger, exception, key);
            throw Unavailable(exception);
        }
    }

    private async Task<StoredRecord?> ReadFromDatabaseAsync(string key, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand(_schema.Read);
        command.Parameters.Add(new NpgsqlParameter<string>() { TypedValue = key });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        return new StoredRecord(reader.GetFieldValue<byte[]>(0), FormatETag(reader.GetInt64(1)));
    }

    public Task<IReadOnlyList<string?>> WriteAsync(IReadOnlyList<RecordWrite> writes, CancellationToken cancellationToken = default)
    {
        PendingBatch pending;
        try
        {
            pending = Prepare(writes);
        }
        catch (Exception exception)
        {
            return Task.FromException<IReadOnlyList<string?>>(exception);
        }

        if (!_queue.Writer.TryWrite(pending))
        {
            return Task.FromException<IReadOnlyList<string?>>(new ObjectDisposedException(nameof(PostgresRecordStore)));
        }

        return cancellationToken.CanBeCanceled ? pending.Done.Task.WaitAsync(cancellationToken) : pending.Done.Task;
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _writer;
        if (_writerConnection is not null)
        {
            await _writerConnection.DisposeAsync();
        }

        await _dataSource.DisposeAsync();
    }

    /// <summary>Checks a batch and turns it into the function's arguments; throws for a batch that can never be written.</summary>
    private static PendingBatch Prepare(IReadOnlyList<RecordWrite> writes)
    {
        RecordBatch.ThrowIfInvalid(writes);

        var keys = new string[writes.Count];
        var values = new byte[]?[writes.Count];
        var expected = new long?[writes.Count];
        for (var i = 0; i < writes.Count; i++)
        {
            var write = writes[i];
            ValidateKey(write.Key);
            keys[i] = write.Key;
            values[i] = write.Value?.ToArray();

            // An ETag this store did not hand out can match nothing: 0 is never one of its ETags.
            expected[i] = write.ExpectedETag is null ? null
                : long.TryParse(write.ExpectedETag, NumberStyles.None, CultureInfo.InvariantCulture, out var etag) ? etag : 0;
        }

        return new PendingBatch(keys, values, expected, writes);
    }

    /// <summary>PostgreSQL text holds no NUL character and only valid Unicode: refuse such a key before it could fail a whole flush.</summary>
    private static void ValidateKey(string key)
    {
        if (key.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException($"A key cannot contain the NUL character (PostgreSQL text cannot hold it): '{key.Replace("\0", "\\0", StringComparison.Ordinal)}'.", "writes");
        }

        int bytes;
        try
        {
            bytes = StrictUtf8.GetByteCount(key);
        }
        catch (EncoderFallbackException exception)
        {
            throw new ArgumentException($"The key '{key}' is not valid Unicode (it has an unpaired surrogate).", "writes", exception);
        }

        // PostgreSQL refuses a primary-key entry above about 2.7 KB, and that error would fail every
        // batch of the flush, not just this one.
        if (bytes > MaxKeyBytes)
        {
            throw new ArgumentException($"A key may be at most {MaxKeyBytes} bytes of UTF-8 here (PostgreSQL indexes it); this one has {bytes}: '{key[..64]}...'.", "writes");
        }
    }

    private async Task WriterLoopAsync()
    {
        var reader = _queue.Reader;
        var flush = new List<PendingBatch>();
        while (await reader.WaitToReadAsync())
        {
            flush.Clear();
            while (flush.Count < _options.MaxBatchRequests && reader.TryRead(out var pending))
            {
                flush.Add(pending);
            }

            try
            {
                var results = await CommitAsync(flush);
                for (var i = 0; i < flush.Count; i++)
                {
                    flush[i].Complete(results[i]);
                }
            }
            catch (Exception exception)
            {
                LogFlushFailed(_logger, exception, flush.Count);
                var failure = exception switch
                {
                    NotSentException notSent => Unavailable(notSent.Cause, nothingWritten: true),
                    PostgresException { InvariantSeverity: "ERROR" } refused => Unavailable(refused, nothingWritten: true),
                    NpgsqlException database => Unavailable(database),
                    _ => exception,
                };
                foreach (var pending in flush)
                {
                    pending.Done.TrySetException(failure);
                }
            }
        }
    }

    /// <summary>Sends the batches as one transaction; returns each one's result (its ETag, or which write did not match).</summary>
    private async Task<long[]> CommitAsync(List<PendingBatch> flush)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await SendAsync(flush);
            }
            catch (PostgresException refused) when (refused.SqlState is PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure
                                                    && attempt < MaxRetriesOfRefusedTransaction)
            {
                // Refused before it committed: nothing of it was written. The connection is still good.
                LogTransactionRetried(_logger, refused.SqlState, flush.Count);
            }
            catch
            {
                // Whatever state the connection is in, the next flush starts on a new one.
                if (_writerConnection is not null)
                {
                    await _writerConnection.DisposeAsync();
                    _writerConnection = null;
                }

                throw;
            }
        }
    }

    private async Task<long[]> SendAsync(List<PendingBatch> flush)
    {
        if (_writerConnection is null)
        {
            try
            {
                _writerConnection = await _dataSource.OpenConnectionAsync();
            }
            catch (NpgsqlException cause)
            {
                // Nothing was sent: whatever the reason (refused, unreachable, a FATAL at log-in), nothing was written.
                throw new NotSentException(cause);
            }
        }

        // Several statements in one batch run in one implicit transaction, committed when the
        // batch ends: all of them or none, in one round trip.
        await using var batch = new NpgsqlBatch(_writerConnection);
        foreach (var pending in flush)
        {
            var call = new NpgsqlBatchCommand(_schema.WriteBatch);
            call.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text, Value = pending.Keys });
            call.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bytea, Value = pending.Values });
            call.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint, Value = pending.Expected });
            batch.BatchCommands.Add(call);
        }

        var results = new long[flush.Count];
        await using (var reader = await batch.ExecuteReaderAsync())
        {
            for (var i = 0; i < flush.Count; i++)
            {
                if (i > 0 && !await reader.NextResultAsync() || !await reader.ReadAsync())
                {
                    throw new InvalidOperationException($"PostgreSQL answered {i} of the {flush.Count} write batches sent.");
                }

                results[i] = reader.GetInt64(0);
            }

            // Read on to the batch's end, where the commit's answer is: disposing the reader would
            // consume it too, but would swallow a time-out there and report a commit that may not be.
            if (await reader.NextResultAsync())
            {
                throw new InvalidOperationException($"PostgreSQL answered more results than the {flush.Count} write batches sent.");
            }
        }

        return results;
    }

    private static RecordStoreUnavailableException Unavailable(NpgsqlException exception, bool nothingWritten = false) =>
        new($"PostgreSQL failed ({(exception as PostgresException)?.SqlState ?? exception.GetType().Name}): {exception.Message}"
            + (nothingWritten ? " Nothing was written." : ""), nothingWritten);

    /// <summary>The writer could not open a connection, so the flush was never sent.</summary>
    private sealed class NotSentException(NpgsqlException cause) : Exception(cause.Message, cause)
    {
        public NpgsqlException Cause { get; } = cause;
    }

    private static string FormatETag(long etag) => etag.ToString(CultureInfo.InvariantCulture);

    /// <summary>A write batch waiting for the writer loop: the function's arguments and the caller's task.</summary>
    private sealed class PendingBatch(string[] keys, byte[]?[] values, long?[] expected, IReadOnlyList<RecordWrite> writes)
    {
        public string[] Keys { get; } = keys;

        public byte[]?[] Values { get; } = values;

        public long?[] Expected { get; } = expected;

        public TaskCompletionSource<IReadOnlyList<string?>> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>A positive result is the batch's ETag; a negative one, -n, says that write n (from 1) did not match.</summary>
        public void Complete(long result)
        {
            if (result > 0)
            {
                var etag = FormatETag(result);
                Done.TrySetResult([.. Values.Select(value => value is null ? null : etag)]);
                return;
            }

            var refused = writes[(int)(-result) - 1];
            Done.TrySetException(new InconsistentStateException(
                $"Record '{refused.Key}' was changed by another writer.", "(the stored one)", refused.ExpectedETag ?? "(none)"));
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "A flush of {Count} write batches to PostgreSQL failed; they may or may not have been written")]
    private static partial void LogFlushFailed(ILogger logger, Exception exception, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Reading record {Key} from PostgreSQL failed")]
    private static partial void LogReadFailed(ILogger logger, Exception exception, string key);

    [LoggerMessage(Level = LogLevel.Information, Message = "PostgreSQL refused a flush of {Count} write batches ({SqlState}); nothing of it was written, sending it again")]
    private static partial void LogTransactionRetried(ILogger logger, string sqlState, int count);
}
