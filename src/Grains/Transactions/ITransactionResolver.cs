using Orleans.Transactions;
using Roundabout.Transactions.OneRound;

namespace Roundabout.Transactions;

/// <summary>Where the agent sends a transaction to be committed or aborted.</summary>
internal interface ITransactionResolver
{
    /// <summary>Commits, or throws: a conflict as <see cref="TransactionConflictException"/>, an unknown outcome as <see cref="OrleansTransactionInDoubtException"/>.</summary>
    Task ResolveAsync(TransactionInfo info);

    /// <summary>Drops the transaction's tentative writes. Never throws.</summary>
    Task AbortAsync(TransactionInfo info);

    /// <summary>
    /// The ordering domain of the store this resolver records decisions in, if it is known here
    /// and promises one (see <see cref="Storage.IRecordStore.OrderingDomain"/>); null otherwise.
    /// </summary>
    Guid? DecisionOrdering { get; }

    /// <summary>Commits a one-round transaction whose parts all voted yes; throws like <see cref="ResolveAsync"/>.</summary>
    Task CommitPreparedAsync(OneRoundTicket ticket, PreparedPart[] parts);

    /// <summary>Drops the prepared writes of a one-round transaction that will not commit. Never throws.</summary>
    Task AbortPreparedAsync(Guid transactionId, ParticipantId[] written);
}
