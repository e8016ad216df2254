using Orleans.Transactions;
using Roundabout.Transactions.OneRound;

namespace Roundabout.Transactions;

/// <summary>Lets a client's transactions be committed by a silo's coordinator.</summary>
public interface ITransactionCoordinatorGrain : IGrainWithIntegerKey
{
    Task Resolve(TransactionInfo info);

    Task Abort(TransactionInfo info);

    /// <summary>Commits a one-round transaction whose parts all voted yes.</summary>
    Task CommitPrepared(OneRoundTicket ticket, [Immutable] PreparedPart[] parts);

    /// <summary>Drops the prepared writes of a one-round transaction that will not commit.</summary>
    Task AbortPrepared(Guid transactionId, [Immutable] ParticipantId[] written);
}
