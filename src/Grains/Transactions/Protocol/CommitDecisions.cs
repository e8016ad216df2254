using Orleans.Storage;
using Roundabout.Storage;

namespace Roundabout.Transactions.Protocol;

/// <summary>The final outcome of a transaction with several written participants.</summary>
public enum Decision : byte
{
    Commit = 1,
    Abort = 2,
}

/// <summary>
/// Decision records: one per multi-writer transaction, written with "must not exist", so
/// the first decision wins. The coordinator proposes Commit; a participant that waited too
/// long for a decision proposes Abort. Whoever loses the race learns the winner's decision.
/// This is what makes safety independent of timing: a time-out can only propose.
/// </summary>
public sealed class CommitDecisions(IRecordStore store)
{
    public static string KeyOf(Guid transactionId) => $"roundabout/tx/{transactionId:N}";

    /// <summary>Records <paramref name="proposal"/> unless a decision exists; returns the decision that holds.</summary>
    public async Task<Decision> DecideAsync(Guid transactionId, Decision proposal)
    {
        var key = KeyOf(transactionId);
        try
        {
            await store.WriteAsync(RecordWrite.Put(key, new[] { (byte)proposal }, expectedETag: null));
            return proposal;
        }
        catch (InconsistentStateException)
        {
            var existing = await store.ReadAsync(key)
                ?? throw new InvalidOperationException($"Decision record {key} vanished while being decided.");
            return (Decision)existing.Value.Span[0];
        }
    }

    /// <summary>Removes a decision once every participant has installed it.</summary>
    public async Task ForgetAsync(Guid transactionId)
    {
        var key = KeyOf(transactionId);
        var existing = await store.ReadAsync(key);
        if (existing is not null)
        {
            await store.WriteAsync(RecordWrite.Delete(key, existing.ETag));
        }
    }
}
