using Orleans.Transactions;
using Roundabout.Accounts;
using Roundabout.Records;
using Roundabout.Transactions;

namespace Roundabout.Client.Library;

/// <summary>
/// The typed front door: bank and record operations over any <see cref="IGrainFactory"/> whose
/// process runs Roundabout's agent (a client with <c>UseRoundaboutTransactions()</c>, or a silo).
/// Conflicts are retried by the <see cref="Runner"/>; everything else surfaces as the domain or
/// argument exception that says what is wrong.
/// </summary>
/// <remarks>
/// Each helper's <see cref="CancellationToken"/> stops its retries and their back-off, as the
/// runner's does; an attempt already sent runs to its end.
/// </remarks>
public sealed class RoundaboutClient
{
    private readonly IGrainFactory _grains;

    public RoundaboutClient(IGrainFactory grains, IRoundaboutTransactions transactions)
    {
        ArgumentNullException.ThrowIfNull(grains);
        ArgumentNullException.ThrowIfNull(transactions);
        _grains = grains;
        Runner = new TransactionRunner(transactions);
    }

    public TransactionRunner Runner { get; }

    public IGrainFactory Grains => _grains;

    public Task DepositAsync(string account, long amount, RunOptions? options = null, CancellationToken cancellationToken = default)
    {
        GrainKeys.Validate(account, nameof(account));
        Money.ValidateAmount(amount);
        return Runner.RunAsync(() => _grains.GetGrain<IAccountGrain>(account).Deposit(amount), options, cancellationToken);
    }

    /// <summary>
    /// Moves money between two accounts in one transaction, retrying conflicts. With an
    /// <paramref name="idempotencyKey"/> it takes effect at most once, however often it is
    /// called (after a time-out or an in-doubt outcome, say): a repeat changes nothing and returns
    /// <see cref="TransferOutcome.AlreadyApplied"/>, or throws the refusal the first call got.
    /// </summary>
    /// <returns>
    /// <see cref="TransferOutcome.Applied"/> when this call moved the money (always, without a key), or
    /// <see cref="TransferOutcome.AlreadyApplied"/> when an earlier call with the key had.
    /// </returns>
    /// <exception cref="OrleansTransactionInDoubtException">
    /// The outcome is unknown: the commit could not be confirmed, or the bank grain did not answer
    /// within Orleans' response time-out while the transfer may have committed. Retry with the same
    /// <paramref name="idempotencyKey"/> to find out, or check the balances.
    /// </exception>
    public Task<TransferOutcome> TransferAsync(string from, string to, long amount, string? idempotencyKey = null, RunOptions? options = null, CancellationToken cancellationToken = default)
    {
        // The bank grain checks the same; checking here first keeps bad input off the wire.
        Money.ValidateTransfer(from, to, amount);

        if (idempotencyKey is not null)
        {
            GrainKeys.Validate(idempotencyKey, nameof(idempotencyKey));
        }

        if (options?.ReadOnly == true)
        {
            throw new ArgumentException("A transfer writes two accounts; it cannot run with ReadOnly set.", nameof(options));
        }

        var bank = _grains.GetGrain<IBankGrain>(0);
        var isolation = options?.Isolation;

        // The bank grain runs the transaction itself; the runner only retries its conflicts.
        return Runner.RetryAsync(
            () => UnknownIfUnanswered(idempotencyKey is null ? Applied(bank.Transfer(from, to, amount, isolation)) : bank.TransferOnce(idempotencyKey, from, to, amount, isolation)),
            options,
            cancellationToken);
    }

    /// <summary>
    /// A call that runs a whole transaction on the silo and is not answered in time (Orleans'
    /// response time-out) may still have committed: that is an in-doubt outcome, and must not look
    /// like the runner's own <see cref="TimeoutException"/>, which means the transaction certainly did not commit.
    /// </summary>
    private static async Task<TransferOutcome> UnknownIfUnanswered(Task<TransferOutcome> call)
    {
        try
        {
            return await call;
        }
        catch (TimeoutException unanswered)
        {
            throw new OrleansTransactionInDoubtException(
                "(run by the bank grain)",
                $"the bank grain did not answer in time ({unanswered.Message.Split('\n')[0].TrimEnd('.')}); the transfer may or may not have taken effect",
                unanswered);
        }
    }

    private static async Task<TransferOutcome> Applied(Task transfer)
    {
        await transfer;
        return TransferOutcome.Applied;
    }

    /// <summary>The balance in a read-only snapshot (<paramref name="options"/> are taken as read-only).</summary>
    public Task<long> GetBalanceAsync(string account, RunOptions? options = null, CancellationToken cancellationToken = default)
    {
        GrainKeys.Validate(account, nameof(account));
        return Runner.RunAsync(() => _grains.GetGrain<IAccountGrain>(account).GetBalance(), ReadOnly(options), cancellationToken);
    }

    /// <summary>The sum of <paramref name="accounts"/> in one snapshot, which the bank grain reads; <paramref name="options"/> bound its retries.</summary>
    public Task<long> AuditAsync(IEnumerable<string> accounts, RunOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(accounts);
        var ids = accounts.ToArray();
        Money.ValidateAuditedAccounts(ids, nameof(accounts));

        // The bank grain runs the snapshot itself; a transient failure (a snapshot too old, say)
        // is retried here like any other transaction's.
        var bank = _grains.GetGrain<IBankGrain>(0);
        return Runner.RetryAsync(() => bank.Audit(ids), options, cancellationToken);
    }

    /// <summary>The record in a read-only snapshot (<paramref name="options"/> are taken as read-only).</summary>
    public Task<VersionedValue> GetAsync(string key, RunOptions? options = null, CancellationToken cancellationToken = default)
    {
        GrainKeys.Validate(key, nameof(key));
        return Runner.RunAsync(() => _grains.GetGrain<IRecordGrain>(key).Get(), ReadOnly(options), cancellationToken);
    }

    public Task<long> PutAsync(string key, byte[] value, RunOptions? options = null, CancellationToken cancellationToken = default)
    {
        GrainKeys.Validate(key, nameof(key));
        BankDirectory.ThrowIfDirectoryKey(key, nameof(key));
        RecordLimits.ValidateValue(value);
        return Runner.RunAsync(() => _grains.GetGrain<IRecordGrain>(key).Put(value), options, cancellationToken);
    }

    /// <summary>Writes only if the record is at <paramref name="expectedVersion"/>; a mismatch is a result, not an exception.</summary>
    public Task<CompareAndSetResult> CompareAndSetAsync(string key, long expectedVersion, byte[] value, RunOptions? options = null, CancellationToken cancellationToken = default)
    {
        GrainKeys.Validate(key, nameof(key));
        BankDirectory.ThrowIfDirectoryKey(key, nameof(key));
        ArgumentOutOfRangeException.ThrowIfNegative(expectedVersion);
        RecordLimits.ValidateValue(value);
        return Runner.RunAsync(() => _grains.GetGrain<IRecordGrain>(key).CompareAndSet(expectedVersion, value), options, cancellationToken);
    }

    public Task<bool> DeleteAsync(string key, RunOptions? options = null, CancellationToken cancellationToken = default)
    {
        GrainKeys.Validate(key, nameof(key));
        BankDirectory.ThrowIfDirectoryKey(key, nameof(key));
        return Runner.RunAsync(() => _grains.GetGrain<IRecordGrain>(key).Delete(), options, cancellationToken);
    }

    private static RunOptions ReadOnly(RunOptions? options) => (options ?? new RunOptions()) with { ReadOnly = true };
}
