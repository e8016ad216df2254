using System.Buffers.Binary;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Storage;
using Roundabout.Hosting;
using Roundabout.Storage;

namespace Roundabout.Transactions.Protocol;

/// <summary>
/// Decision records: one per multi-writer transaction, written with "must not exist", so
/// the first decision wins. The coordinator proposes Commit; a participant that waited too
/// long for a decision proposes Abort. Whoever loses the race learns the winner's decision.
/// This is what makes safety independent of timing: a time-out can only propose.
/// A transaction with a committer first records <see cref="Decision.Committing"/>, which holds
/// the participants' proposals off until the operation has answered and the coordinator has
/// replaced it (each replacement names the ETag it replaces, so again only one can win).
/// </summary>
/// <remarks>
/// A record is removed once every participant has made its install durable. Removals are not
/// on any caller's path, so they are queued and written in batches: one store write removes every
/// record that became removable while the previous batch was being written.
/// </remarks>
internal sealed partial class CommitDecisions(IRecordStore store, IOptions<RoundaboutTransactionOptions> options, ILogger<CommitDecisions> logger) : IAsyncDisposable
{
    /// <summary>The most removals one store write carries.</summary>
    internal const int MaxRemovalsPerBatch = 256;

    private readonly Channel<(string Key, string ETag)> _removals = Channel.CreateUnbounded<(string Key, string ETag)>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Lock _lock = new();
    private Task? _remover;

    public static string KeyOf(Guid transactionId) => $"roundabout/tx/{transactionId:N}";

    /// <summary>The ordering domain of the store decisions are written to (see <see cref="IRecordStore.OrderingDomain"/>).</summary>
    public Guid? OrderingDomain => store.OrderingDomain;

    /// <summary>Records <paramref name="proposal"/> unless a decision exists; returns the decision that holds.</summary>
    public async Task<RecordedDecision> DecideAsync(Guid transactionId, Decision proposal)
    {
        var key = KeyOf(transactionId);
        if (proposal == Decision.Committing)
        {
            throw new ArgumentException("Committing is recorded with BeginCommittingAsync.", nameof(proposal));
        }

        return await WriteUnlessDecidedAsync(key, Encode(proposal, null), expectedETag: null);
    }

    /// <summary>
    /// Records that the transaction's committer is running its operation, unless a decision exists
    /// (a participant that waited too long proposed Abort first); returns the decision that holds.
    /// Participants that meet the record wait, and presume the coordinator gone only after
    /// <paramref name="abandonedAfterUtc"/>.
    /// </summary>
    public Task<RecordedDecision> BeginCommittingAsync(Guid transactionId, DateTime abandonedAfterUtc) =>
        WriteUnlessDecidedAsync(KeyOf(transactionId), Encode(Decision.Committing, abandonedAfterUtc), expectedETag: null);

    /// <summary>
    /// Replaces the transaction's <see cref="Decision.Committing"/> record (<paramref name="committing"/>)
    /// with the outcome, unless a participant presumed abort over it first; returns the decision that holds.
    /// </summary>
    public Task<RecordedDecision> FinishCommittingAsync(Guid transactionId, RecordedDecision committing, Decision outcome)
    {
        if (committing.Decision != Decision.Committing || outcome == Decision.Committing)
        {
            throw new ArgumentException($"Only a Committing record is finished, with Commit or Abort; not {committing.Decision} with {outcome}.", nameof(outcome));
        }

        return WriteUnlessDecidedAsync(KeyOf(transactionId), Encode(outcome, null), committing.ETag);
    }

    /// <summary>
    /// For a participant that waited too long for a prepared transaction: records Abort unless a
    /// decision exists, and returns the outcome that holds. While a committer's operation runs (a
    /// <see cref="Decision.Committing"/> record) it looks again every resolution time-out, and
    /// replaces the record with Abort itself only once the record says the coordinator is presumed
    /// gone. Returns <c>null</c>, having proposed nothing more, once <paramref name="stillPrepared"/>
    /// says the participant no longer needs to know (the coordinator's outcome reached it meanwhile).
    /// </summary>
    public async Task<Decision?> ProposeAbortAsync(Guid transactionId, Func<bool> stillPrepared, CancellationToken cancellationToken = default)
    {
        var key = KeyOf(transactionId);
        var holding = await WriteUnlessDecidedAsync(key, Encode(Decision.Abort, null), expectedETag: null);
        while (holding.Decision == Decision.Committing)
        {
            var untilAbandoned = holding.AbandonedAfterUtc!.Value - DateTime.UtcNow;
            if (untilAbandoned <= TimeSpan.Zero)
            {
                // The coordinator is presumed gone mid-operation: replace its record. If it finished
                // meanwhile, the ETag refuses this and the loop reads its outcome.
                holding = await WriteUnlessDecidedAsync(key, Encode(Decision.Abort, null), holding.ETag);
                continue;
            }

            var pollInterval = options.Value.PreparedResolutionTimeout;
            await Task.Delay(untilAbandoned < pollInterval ? untilAbandoned : pollInterval, cancellationToken);
            if (!stillPrepared())
            {
                return null; // the coordinator's outcome reached the participant meanwhile
            }

            // Only read now: the record may have been decided, installed everywhere and removed
            // since, and a "must not exist" proposal would then record Abort for a committed transaction.
            var current = await store.ReadAsync(key, cancellationToken);
            if (current is null)
            {
                // Removed. A Commit record goes only once every participant has installed, so if this
                // one is still prepared, the record was the Abort that replaced Committing.
                return stillPrepared() ? Decision.Abort : null;
            }

            holding = Decode(current.Value.Span, current.ETag);
        }

        return holding.Decision;
    }

    /// <summary>Writes a decision record expecting <paramref name="expectedETag"/>; if refused, returns the record that is there.</summary>
    private async Task<RecordedDecision> WriteUnlessDecidedAsync(string key, byte[] value, string? expectedETag)
    {
        try
        {
            var etags = await store.WriteAsync([RecordWrite.Put(key, value, expectedETag)]);
            return Decode(value, etags[0]!);
        }
        catch (InconsistentStateException)
        {
            var existing = await store.ReadAsync(key)
                ?? throw new InvalidOperationException($"Decision record {key} vanished while being decided.");
            return Decode(existing.Value.Span, existing.ETag);
        }
    }

    /// <summary>One byte of outcome; a Committing record adds when it is presumed abandoned (UTC ticks, 8 bytes).</summary>
    private static byte[] Encode(Decision decision, DateTime? abandonedAfterUtc)
    {
        if (abandonedAfterUtc is not { } after)
        {
            return [(byte)decision];
        }

        var value = new byte[9];
        value[0] = (byte)decision;
        BinaryPrimitives.WriteInt64LittleEndian(value.AsSpan(1), after.ToUniversalTime().Ticks);
        return value;
    }

    private static RecordedDecision Decode(ReadOnlySpan<byte> value, string etag)
    {
        var decision = (Decision)value[0];
        return decision == Decision.Committing
            ? new RecordedDecision(decision, etag, new DateTime(BinaryPrimitives.ReadInt64LittleEndian(value[1..]), DateTimeKind.Utc))
            : new RecordedDecision(decision, etag);
    }

    /// <summary>
    /// Queues the removal of a decision whose participants have all made their installs durable.
    /// It is written with the next batch of removals; until then the record stays, which is harmless.
    /// </summary>
    public void Forget(Guid transactionId, RecordedDecision recorded)
    {
        if (!_removals.Writer.TryWrite((KeyOf(transactionId), recorded.ETag)))
        {
            return; // shutting down: the record stays, and nothing reads it again
        }

        lock (_lock)
        {
            _remover ??= DetachedTask.Run(RemoveLoopAsync);
        }
    }

    /// <summary>Writes the removals still queued, then stops.</summary>
    public async ValueTask DisposeAsync()
    {
        _removals.Writer.TryComplete();
        Task? remover;
        lock (_lock)
        {
            remover = _remover;
        }

        if (remover is not null)
        {
            await remover;
        }
    }

    private async Task RemoveLoopAsync()
    {
        var reader = _removals.Reader;
        var batch = new List<RecordWrite>(MaxRemovalsPerBatch);
        while (await reader.WaitToReadAsync())
        {
            batch.Clear();
            while (batch.Count < MaxRemovalsPerBatch && reader.TryRead(out var removal))
            {
                batch.Add(RecordWrite.Delete(removal.Key, removal.ETag));
            }

            await RemoveAsync(batch);
        }
    }

    private async Task RemoveAsync(List<RecordWrite> batch)
    {
        try
        {
            await store.WriteAsync(batch);
        }
        catch (InconsistentStateException)
        {
            // A batch is all or nothing, and some record in it is not as expected (nothing in the
            // protocol rewrites a Commit record, so this is unexpected): remove the others one by one.
            foreach (var removal in batch)
            {
                try
                {
                    await store.WriteAsync([removal]);
                }
                catch (Exception exception)
                {
                    LogRemovalFailed(logger, exception, removal.Key);
                }
            }
        }
        catch (Exception exception)
        {
            // The records stay; a stale decision is only space, never a wrong answer.
            LogBatchRemovalFailed(logger, exception, batch.Count);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Decision record {Key} could not be removed")]
    private static partial void LogRemovalFailed(ILogger logger, Exception exception, string key);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} decision records could not be removed")]
    private static partial void LogBatchRemovalFailed(ILogger logger, Exception exception, int count);
}
