using Orleans.Concurrency;
using Roundabout.Transactions.Committers;

namespace Roundabout.Transactions.Protocol;

/// <summary>
/// The protocol's messages to a grain's transactional states, addressed by state name.
/// Installed on every grain by <c>UseRoundaboutTransactions()</c>.
/// </summary>
/// <remarks>
/// The calls interleave with the grain's own calls: a grain method that waits for a
/// prepared write to be decided must not stop the decision from arriving.
/// </remarks>
public interface ITransactionParticipantExtension : IGrainExtension
{
    /// <summary>
    /// Validates the transaction at some of this grain's states, in one message; for a written
    /// state, prepares its write durably. The votes come back in the order of <paramref name="states"/>,
    /// with the installer of the grain's silo.
    /// </summary>
    /// <param name="request">The transaction; its <see cref="PrepareRequest.Writes"/> is taken from each state's entry.</param>
    [AlwaysInterleave]
    [return: Immutable]
    Task<PreparedStates> PrepareStates([Immutable] StatePrepare[] states, PrepareRequest request);

    /// <summary>
    /// For a transaction with exactly one written participant: validates and installs the
    /// write with one durable write. No decision record is needed.
    /// </summary>
    [AlwaysInterleave]
    Task<Vote> PrepareAndCommit(string stateName, PrepareRequest request);

    /// <summary>
    /// Installs a prepared write. Idempotent. Answers when the install is durable, or, when the
    /// participant's store is in the ordering domain <paramref name="decisionOrdering"/> (the
    /// decision record's store), as soon as the install write is accepted: the coordinator removes
    /// the decision record after this answer, with a write that store accepts later still.
    /// </summary>
    [AlwaysInterleave]
    Task Commit(string stateName, Guid transactionId, long commitTimestamp, Guid? decisionOrdering = null);

    /// <summary>
    /// <see cref="Commit"/> without an answer: once the install is accepted as <see cref="Commit"/>
    /// would answer, the participant confirms it to its own silo's installer. Sent only by a
    /// coordinator on the participant's silo, which sends a <see cref="Commit"/> after all if no
    /// confirmation comes (see <c>CommitInstaller</c>).
    /// </summary>
    [AlwaysInterleave]
    [OneWay]
    Task CommitAndConfirm(string stateName, Guid transactionId, long commitTimestamp, Guid? decisionOrdering);

    /// <summary>
    /// Runs the commit operation that transaction committer <paramref name="committerName"/> holds for
    /// the transaction, which every participant has prepared; its answer decides the transaction.
    /// </summary>
    [AlwaysInterleave]
    Task<CommitOperationAnswer> RunCommitOperation(string committerName, Guid transactionId);

    /// <summary>Drops the transaction's tentative or prepared write. Idempotent.</summary>
    [AlwaysInterleave]
    Task Abort(string stateName, Guid transactionId);

    /// <summary>
    /// Completes with true once a version newer than <paramref name="timestamp"/> is committed
    /// here, or when the grain starts deactivating (look again, at its next activation), or with
    /// false after <paramref name="timeout"/> (capped at 20 s per call).
    /// For <c>Stm.Retry</c>; holds nothing and blocks nobody.
    /// </summary>
    [AlwaysInterleave]
    Task<bool> WaitForCommitAfter(string stateName, long timestamp, TimeSpan timeout);
}
