using Roundabout.Transactions;

namespace Roundabout.Accounts;

/// <summary>The bank's operations across accounts. A stateless worker: call it with key 0.</summary>
public interface IBankGrain : IGrainWithIntegerKey
{
    /// <summary>
    /// Moves <paramref name="amount"/> from one account to another in one transaction.
    /// Throws <see cref="InsufficientFundsException"/>, an <see cref="ArgumentException"/> for bad
    /// input, or <see cref="TransactionConflictException"/> (retry) — in every case nothing changed.
    /// </summary>
    Task Transfer(string from, string to, long amount, IsolationLevel? isolation = null);

    /// <summary>
    /// Like <see cref="Transfer"/>, but takes effect at most once per <paramref name="idempotencyKey"/>:
    /// calling again with the same key (after a time-out, an in-doubt outcome, or concurrently)
    /// moves nothing again: it returns <see cref="TransferOutcome.AlreadyApplied"/> where the first
    /// call succeeded, and throws the same refusal where it was refused. Reusing a key for a
    /// different transfer throws <see cref="DuplicateTransferKeyException"/>.
    /// </summary>
    /// <returns>Whether this call moved the money or found it moved by an earlier call with the key.</returns>
    Task<TransferOutcome> TransferOnce(string idempotencyKey, string from, string to, long amount, IsolationLevel? isolation = null);

    /// <summary>Sums the balances of <paramref name="accounts"/> in one read-only snapshot transaction.</summary>
    Task<long> Audit(string[] accounts);
}
