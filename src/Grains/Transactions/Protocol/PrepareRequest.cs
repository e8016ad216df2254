namespace Roundabout.Transactions.Protocol;

/// <summary>What a coordinator asks of one participant at commit.</summary>
/// <param name="TransactionId">The transaction.</param>
/// <param name="ReadTimestamp">The snapshot the transaction read at (rv).</param>
/// <param name="CommitTimestamp">The timestamp it commits at (c), fetched after all its reads.</param>
/// <param name="Isolation">Decides whether reads are validated.</param>
/// <param name="Wrote">Whether the transaction wrote this participant (otherwise it only read).</param>
/// <param name="DecisionOrdering">
/// The <see cref="Storage.IRecordStore.OrderingDomain"/> of the store the coordinator will write the
/// decision record to, if it has one. A participant whose own store is in that domain may vote as
/// soon as its prepare is accepted: the decision, accepted later, cannot be durable without it.
/// </param>
[GenerateSerializer, Immutable]
public sealed record PrepareRequest(
    [property: Id(0)] Guid TransactionId,
    [property: Id(1)] long ReadTimestamp,
    [property: Id(2)] long CommitTimestamp,
    [property: Id(3)] IsolationLevel Isolation,
    [property: Id(4)] bool Wrote,
    [property: Id(5)] Guid? DecisionOrdering = null);

/// <summary>One of a grain's states in a prepare message, and whether the transaction wrote it (otherwise it only read it).</summary>
[GenerateSerializer, Immutable]
public sealed record StatePrepare(
    [property: Id(0)] string StateName,
    [property: Id(1)] bool Wrote);
