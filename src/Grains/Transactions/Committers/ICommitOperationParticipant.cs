using Roundabout.Transactions.Protocol;

namespace Roundabout.Transactions.Committers;

/// <summary>A participant that runs a commit operation when the coordinator asks: a transaction committer.</summary>
internal interface ICommitOperationParticipant : ITransactionParticipant
{
    /// <summary>Runs the operation that the transaction prepared here, and says what it answered.</summary>
    Task<CommitOperationAnswer> RunCommitOperation(Guid transactionId);
}
