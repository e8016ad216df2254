namespace Roundabout.Transactions.Protocol;

/// <summary>What a coordinator asks of one participant at commit.</summary>
/// <param name="TransactionId">The transaction.</param>
/// <param name="ReadTimestamp">The snapshot the transaction read at (rv).</param>
/// <param name="CommitTimestamp">The timestamp it commits at (c), fetched after all its reads.</param>
/// <param name="Isolation">Decides whether reads are validated.</param>
/// <param name="Writes">
/// How many writes the transaction made to this participant, as its own record of the calls
/// counts them (0: it only read). A participant that holds fewer lost some (its tentative write
/// was swept as abandoned, or the grain was reactivated, and a later call started afresh) and
/// must not commit what it holds.
/// </param>
/// <param name="DecisionOrdering">
/// The <see cref="Storage.IRecordStore.OrderingDomain"/> of the store the coordinator will write the
/// decision record to, if it has one. A participant whose own store is in that domain may vote as
/// soon as its prepare is accepted: the decision, accepted later, cannot be durable without it.
/// </param>
/// <param name="Read">
/// Whether the transaction read this participant, as its own record of the calls says (it may have
/// written it too). A participant validates that read even if it has forgotten it: a counter
/// remembers a read only with the transaction's tentative additions, which are lost when the grain
/// is reactivated or the transaction looks abandoned, and an addition made afresh after that must
/// not commit as if nothing had been read.
/// </param>
[GenerateSerializer, Immutable]
public sealed record PrepareRequest(
    [property: Id(0)] Guid TransactionId,
    [property: Id(1)] long ReadTimestamp,
    [property: Id(2)] long CommitTimestamp,
    [property: Id(3)] IsolationLevel Isolation,
    [property: Id(4)] int Writes,
    [property: Id(5)] Guid? DecisionOrdering = null,
    [property: Id(6)] bool Read = false)
{
    /// <summary>Whether the transaction wrote this participant (otherwise it only read it).</summary>
    public bool Wrote => Writes > 0;
}

/// <summary>
/// One of a grain's states in a prepare message, how many writes the transaction made to it (0: it
/// only read it), and whether it read it (see <see cref="PrepareRequest.Read"/>).
/// </summary>
[GenerateSerializer, Immutable]
public sealed record StatePrepare(
    [property: Id(0)] string StateName,
    [property: Id(1)] int Writes,
    [property: Id(2)] bool Read = false);

/// <summary>
/// A grain's answer to <see cref="ITransactionParticipantExtension.PrepareStates"/>: the votes, in
/// the order of the states asked, and the installer of the silo the grain runs on (a coordinator on
/// the same silo lets it confirm its installs instead of answering them; see <c>CommitInstaller</c>).
/// </summary>
[GenerateSerializer, Immutable]
public sealed record PreparedStates(
    [property: Id(0)] Vote[] Votes,
    [property: Id(1)] Guid Installer);
