using Roundabout.Storage;
using Roundabout.Transactions.Protocol;

namespace Roundabout.Tests.Infrastructure;

/// <summary>Recognises the writes of decision records, for stores that hold or fail chosen writes.</summary>
internal static class DecisionWrites
{
    /// <summary>A first proposal of <paramref name="decision"/> for a transaction ("must not exist", one byte).</summary>
    public static bool IsProposal(RecordWrite write, Decision decision) =>
        write.Key.StartsWith("roundabout/tx/", StringComparison.Ordinal) && write.ExpectedETag is null
        && write.Value is { Length: 1 } value && value.Span[0] == (byte)decision;

    /// <summary>The coordinator's Commit, as one write.</summary>
    public static bool IsCommit(RecordWrite write) => IsProposal(write, Decision.Commit);

    /// <summary>A batch that records a Commit.</summary>
    public static bool HasCommit(IReadOnlyList<RecordWrite> writes) => writes.Any(IsCommit);
}
