using Microsoft.Extensions.Options;
using Orleans.Transactions;
using Roundabout.Transactions.Timestamps;

namespace Roundabout.Transactions;

/// <summary>
/// Replaces Orleans' <see cref="ITransactionAgent"/>: starts transactions at a snapshot
/// timestamp from the oracle and commits them optimistically through the
/// <see cref="ITransactionResolver"/>. Orleans' own request pipeline calls it for every
/// <c>[Transaction]</c> method and for <c>ITransactionClient.RunTransaction</c>.
/// </summary>
internal sealed class RoundaboutTransactionAgent(
    ITimestampSource timestamps,
    ActiveSnapshotRegistry snapshots,
    ITransactionResolver resolver,
    IOptions<RoundaboutTransactionOptions> options) : ITransactionAgent
{
    public async Task<TransactionInfo> StartTransaction(bool readOnly, TimeSpan timeout)
    {
        AmbientTransaction.ThrowIfInOneRoundPart("call grains transactionally");

        var requested = TransactionRequestScope.Current;
        var isolation = requested?.Isolation ?? options.Value.DefaultIsolation;
        readOnly |= requested?.ReadOnly ?? false;

        var transactionId = Guid.NewGuid();
        long readTimestamp;
        try
        {
            // Fetched after the transaction began: it sees everything committed before (strictness).
            readTimestamp = await timestamps.NextAsync(registerAs: transactionId, registrationTimeout: timeout);
        }
        catch (Exception exception)
        {
            throw new OrleansStartTransactionFailedException(exception);
        }

        var stamp = new TransactionStamp(readTimestamp, isolation);
        return new TransactionInfo(transactionId, DateTime.UtcNow, stamp.ToPriority(), readOnly);
    }

    public async Task<(TransactionalStatus Status, Exception? exception)> Resolve(TransactionInfo transactionInfo)
    {
        try
        {
            // Failures are thrown as the exception the caller should see (conflicts name the
            // grain), rather than returned as a status that Orleans would wrap in a generic one.
            await resolver.ResolveAsync(transactionInfo);
            return (TransactionalStatus.Ok, null);
        }
        finally
        {
            snapshots.Unregister(transactionInfo.TransactionId);
        }
    }

    public async Task Abort(TransactionInfo transactionInfo)
    {
        try
        {
            await resolver.AbortAsync(transactionInfo);
        }
        finally
        {
            snapshots.Unregister(transactionInfo.TransactionId);
        }
    }
}
