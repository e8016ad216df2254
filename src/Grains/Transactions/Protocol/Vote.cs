using Roundabout.Storage;

namespace Roundabout.Transactions.Protocol;

/// <summary>A participant's answer to prepare.</summary>
[GenerateSerializer]
public enum VoteKind
{
    /// <summary>Valid at the commit timestamp; a write is prepared (and durable) and waits for the decision.</summary>
    Yes,

    /// <summary>A concurrent transaction invalidates this one. Nothing is held.</summary>
    Conflict,

    /// <summary>The participant no longer has this transaction's tentative writes (it was reactivated or they expired).</summary>
    Lost,

    /// <summary>The participant could not make its prepare durable; whether it did is unknown to it.</summary>
    StorageFailure,

    /// <summary>A transaction committer's operation answered <c>false</c>: the transaction aborts, and retrying it would ask the same.</summary>
    Declined,

    /// <summary>A transaction committer's operation threw: whether it took effect is unknown.</summary>
    OperationFailed,

    /// <summary>
    /// The participant's store certainly wrote nothing of its prepare or commit (it could not be
    /// reached, or refused the write): the transaction did not take effect there.
    /// </summary>
    /// <remarks>Last, so that the numbers of the others stay what silos of earlier versions send.</remarks>
    NotWritten,
}

[GenerateSerializer, Immutable]
public sealed record Vote([property: Id(0)] VoteKind Kind, [property: Id(1)] string? Reason = null)
{
    public static Vote Yes { get; } = new(VoteKind.Yes);

    public bool IsYes => Kind == VoteKind.Yes;

    /// <summary>
    /// The vote of a participant whose durable write failed with <paramref name="exception"/>:
    /// <see cref="VoteKind.NotWritten"/> when the store says it certainly wrote nothing, otherwise
    /// <see cref="VoteKind.StorageFailure"/> (unknown).
    /// </summary>
    public static Vote OfFailedWrite(Exception exception, string reason) =>
        new(RecordStoreUnavailableException.CertainlyNotWritten(exception) ? VoteKind.NotWritten : VoteKind.StorageFailure, reason);
}
