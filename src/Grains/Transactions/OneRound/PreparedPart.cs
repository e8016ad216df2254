using Orleans.Transactions;
using Roundabout.Transactions.Protocol;

namespace Roundabout.Transactions.OneRound;

/// <summary>
/// A one-round part's answer: the states it wrote (each now prepared, waiting for the
/// decision) and its vote. Return it from the grain method to the coordinator unchanged.
/// </summary>
/// <param name="TransactionId">The transaction the part belongs to.</param>
/// <param name="Grain">The grain that ran the part.</param>
/// <param name="Written">The states whose writes are prepared. Empty when the vote is no: the part dropped them itself.</param>
/// <param name="Vote">Yes when every state it touched validated; otherwise why not.</param>
[GenerateSerializer, Immutable]
public sealed record PreparedPart(
    [property: Id(0)] Guid TransactionId,
    [property: Id(1)] GrainId Grain,
    [property: Id(2)] ParticipantId[] Written,
    [property: Id(3)] Vote Vote);
