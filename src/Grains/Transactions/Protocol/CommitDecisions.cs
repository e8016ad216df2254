using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Orleans.Storage;
using Roundabout.Hosting;
using Roundabout.Storage;

namespace Roundabout.Transactions.Protocol;

/// <summary>The final outcome of a transaction with several written participants.</summary>
public enum Decision : byte
{
    Commit = 1,
    Abort = 2,
}

/// <summary>A decision as it stands in storage: the outcome and the ETag that removing it must name.</summary>
public readonly record struct RecordedDecision(Decision Decision, string ETag);

/// <summary>
/// Decision records: one per multi-writer transaction, written with "must not exist", so
/// the first decision wins. The coordinator proposes Commit; a participant that waited too
/// long for a decision proposes Abort. Whoever loses the race learns the winner's decision.
/// This is what makes safety independent of timing: a time-out can only propose.
/// </summary>
/// <remarks>
/// A record is removed once every participant has made its install durable. Removals are not
/// on any caller's path, so they are queued and written in batches: one store write removes every
/// record that became removable while the previous batch was being written.
/// </remarks>
public sealed partial class CommitDecisions(IRecordStore store, ILogger<CommitDecisions> logger) : IAsyncDisposable
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
        try
        {
            var etags = await store.WriteAsync([RecordWrite.Put(key, new[] { (byte)proposal }, expectedETag: null)]);
            return new RecordedDecision(proposal, etags[0]!);
        }
        catch (InconsistentStateException)
        {
            var existing = await store.ReadAsync(key)
                ?? throw new InvalidOperationException($"Decision record {key} vanished while being decided.");
            return new RecordedDecision((Decision)existing.Value.Span[0], existing.ETag);
        }
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
            // protocol rewrites a decision, so this is unexpected): remove the others one by one.
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
