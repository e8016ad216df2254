namespace Roundabout.Transactions.Committers;

/// <summary>What a transaction committer's operation answered.</summary>
[GenerateSerializer]
public enum CommitOperationOutcome
{
    /// <summary>The operation returned <c>true</c>: the transaction commits.</summary>
    Committed,

    /// <summary>The operation returned <c>false</c>: the transaction aborts.</summary>
    Declined,

    /// <summary>
    /// The committer no longer held the operation (its grain was reactivated, or the transaction
    /// looked abandoned): it did not run, and the transaction aborts.
    /// </summary>
    NotHeld,

    /// <summary>The operation threw: whether it took effect is unknown.</summary>
    Failed,
}

/// <summary>What a transaction committer's operation answered, and for <see cref="CommitOperationOutcome.Failed"/> what it threw.</summary>
/// <param name="Failure">
/// The exception's type and message, as text: the exception itself is the application's type, which
/// the coordinator's silo, and the caller, may not be able to deserialize.
/// </param>
[GenerateSerializer, Immutable]
public sealed record CommitOperationAnswer(
    [property: Id(0)] CommitOperationOutcome Outcome,
    [property: Id(1)] string? Failure = null);
