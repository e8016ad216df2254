namespace Roundabout.Transactions.OneRound;

/// <summary>
/// What every part of a one-round transaction is called with: the transaction, its one
/// timestamp, and how to prepare. Made by <see cref="IRoundaboutTransactions.RunOneRoundAsync"/>.
/// </summary>
/// <remarks>
/// A one-round transaction takes a single timestamp t from the oracle before any part runs. Its
/// parts read at t - 1 (everything committed before it began, as t is fetched after it began)
/// and commit at t. Nothing can commit between the two (timestamps are unique), so each part can
/// validate its reads and prepare its writes in the same call that made them: one message per
/// grain instead of an operation call and a prepare call.
/// </remarks>
/// <param name="TransactionId">The transaction.</param>
/// <param name="CommitTimestamp">t: the timestamp it commits at.</param>
/// <param name="Isolation">Decides whether reads are validated.</param>
/// <param name="DecisionOrdering">The ordering domain of the store the decision record goes to, if any (see <see cref="Protocol.PrepareRequest.DecisionOrdering"/>).</param>
[GenerateSerializer, Immutable]
public sealed record OneRoundTicket(
    [property: Id(0)] Guid TransactionId,
    [property: Id(1)] long CommitTimestamp,
    [property: Id(2)] IsolationLevel Isolation,
    [property: Id(3)] Guid? DecisionOrdering = null)
{
    /// <summary>The snapshot every part reads: everything committed before <see cref="CommitTimestamp"/>.</summary>
    public long ReadTimestamp => CommitTimestamp - 1;
}
