using Microsoft.Extensions.Logging;
using Orleans.Transactions;
using Roundabout.Transactions.Protocol;
using Roundabout.Transactions.Timestamps;

namespace Roundabout.Transactions;

/// <summary>
/// Commits a transaction across its participants. Runs on a silo: on the silo where the
/// transaction's root call ran, or on a silo chosen for a client's transaction.
/// </summary>
/// <remarks>
/// 1. Nothing written: nothing to validate, nothing to write; it commits at its snapshot.
/// 2. Otherwise take the commit timestamp c from the oracle (after every read, so c > rv).
/// 3. One writer: validate serializable reads first, then prepare-and-commit the writer in
///    one durable write. The reads' votes raised their maxReadTs to c, so they stay valid.
/// 4. Several writers: prepare all in parallel (writers durably), record the decision
///    (first decision wins), tell the caller, install everywhere, forget the decision.
/// Any "no" before the decision aborts; an unknown outcome is reported in-doubt, never aborted.
/// </remarks>
public sealed partial class TransactionCoordinator(ITimestampSource timestamps, CommitDecisions decisions, ILogger<TransactionCoordinator> logger)
{
    public async Task ResolveAsync(TransactionInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        var stamp = TransactionStamp.Of(info);
        var writers = new List<ParticipantId>();
        var readers = new List<ParticipantId>();
        foreach (var (participant, access) in info.Participants)
        {
            if (access.Writes > 0)
            {
                writers.Add(participant);
            }
            else if (access.Reads > 0)
            {
                readers.Add(participant);
            }
        }

        if (writers.Count == 0)
        {
            return;
        }

        if (info.IsReadOnly)
        {
            throw new OrleansReadOnlyViolatedException(info.Id);
        }

        long commitTimestamp;
        try
        {
            commitTimestamp = await timestamps.NextAsync();
        }
        catch (Exception exception)
        {
            // Nothing was prepared: the transaction certainly did not take effect.
            await SendAbortsAsync(info, writers);
            throw new OrleansTransactionTransientFailureException(info.Id, $"Transaction {info.Id} aborted: no commit timestamp could be had from the oracle ({exception.Message}).", exception);
        }

        var validatedReaders = stamp.Isolation == IsolationLevel.Serializable ? readers : [];
        if (writers.Count == 1)
        {
            await CommitSingleWriterAsync(info, stamp, commitTimestamp, writers[0], validatedReaders);
        }
        else
        {
            await CommitManyWritersAsync(info, stamp, commitTimestamp, writers, validatedReaders);
        }
    }

    /// <summary>Drops the tentative writes of a transaction that will not commit. Never throws.</summary>
    public async Task AbortAsync(TransactionInfo info)
    {
        var writers = info.Participants.Where(p => p.Value.Writes > 0).Select(p => p.Key).ToList();
        await SendAbortsAsync(info, writers);
    }

    private async Task CommitSingleWriterAsync(TransactionInfo info, TransactionStamp stamp, long commitTimestamp, ParticipantId writer, List<ParticipantId> readers)
    {
        if (readers.Count > 0)
        {
            var readVotes = await PrepareAllAsync(info, stamp, commitTimestamp, readers, wrote: false);
            if (FirstRefusal(readVotes) is { } refusal)
            {
                await SendAbortsAsync(info, [writer]);
                throw Refused(info, refusal);
            }
        }

        var request = new PrepareRequest(info.TransactionId, stamp.ReadTimestamp, commitTimestamp, stamp.Isolation, Wrote: true);
        Vote vote;
        try
        {
            vote = await Extension(writer).PrepareAndCommit(writer.Name, request);
        }
        catch (Exception exception)
        {
            throw new OrleansTransactionInDoubtException(info.Id, $"the commit at {Describe(writer)} did not answer; it may or may not have taken effect", exception);
        }

        if (vote.Kind == VoteKind.StorageFailure)
        {
            throw new OrleansTransactionInDoubtException(info.Id, vote.Reason ?? "storage failed during commit", null);
        }

        if (!vote.IsYes)
        {
            throw Refused(info, (writer, vote, null));
        }
    }

    private async Task CommitManyWritersAsync(TransactionInfo info, TransactionStamp stamp, long commitTimestamp, List<ParticipantId> writers, List<ParticipantId> readers)
    {
        var votes = await Task.WhenAll(
            PrepareAllAsync(info, stamp, commitTimestamp, writers, wrote: true),
            PrepareAllAsync(info, stamp, commitTimestamp, readers, wrote: false));
        if (FirstRefusal(votes[0].Concat(votes[1])) is { } refusal)
        {
            // No decision was recorded, so none can be Commit: a participant that prepared and
            // misses this abort presumes abort when it asks.
            await SendAbortsAsync(info, writers);
            throw Refused(info, refusal);
        }

        Decision decision;
        try
        {
            decision = await decisions.DecideAsync(info.TransactionId, Decision.Commit);
        }
        catch (Exception exception)
        {
            throw new OrleansTransactionInDoubtException(info.Id, "the commit decision could not be recorded; it may or may not have taken effect", exception);
        }

        if (decision == Decision.Abort)
        {
            await SendAbortsAsync(info, writers);
            throw new TransactionConflictException(info.Id, $"Transaction {info.Id} aborted: a participant waited too long for its outcome and decided abort first.");
        }

        // Committed: the caller may know now. Installing is the participants' business; a
        // snapshot that meets a prepared write before its Commit arrives waits for it, and one
        // that misses the message settles from the decision record.
        _ = InstallAsync(info.TransactionId, commitTimestamp, writers);
    }

    private async Task InstallAsync(Guid transactionId, long commitTimestamp, List<ParticipantId> writers)
    {
        var installs = writers.Select(async writer =>
        {
            try
            {
                await Extension(writer).Commit(writer.Name, transactionId, commitTimestamp);
                return true;
            }
            catch (Exception exception)
            {
                // Committed all the same: the participant settles from the decision record.
                LogInstallFailed(logger, exception, transactionId, Describe(writer));
                return false;
            }
        });
        if ((await Task.WhenAll(installs)).All(installed => installed))
        {
            await ForgetAsync(transactionId);
        }
    }

    private async Task ForgetAsync(Guid transactionId)
    {
        try
        {
            await decisions.ForgetAsync(transactionId);
        }
        catch (Exception exception)
        {
            LogForgetFailed(logger, exception, transactionId);
        }
    }

    private static async Task<(ParticipantId Participant, Vote? Vote, Exception? Error)[]> PrepareAllAsync(
        TransactionInfo info, TransactionStamp stamp, long commitTimestamp, List<ParticipantId> participants, bool wrote)
    {
        var request = new PrepareRequest(info.TransactionId, stamp.ReadTimestamp, commitTimestamp, stamp.Isolation, wrote);
        return await Task.WhenAll(participants.Select(async participant =>
        {
            try
            {
                return (participant, await Extension(participant).Prepare(participant.Name, request), (Exception?)null);
            }
            catch (Exception exception)
            {
                return (participant, (Vote?)null, exception);
            }
        }));
    }

    private static (ParticipantId Participant, Vote? Vote, Exception? Error)? FirstRefusal(IEnumerable<(ParticipantId Participant, Vote? Vote, Exception? Error)> votes)
    {
        foreach (var vote in votes)
        {
            if (vote.Vote is not { IsYes: true })
            {
                return vote;
            }
        }

        return null;
    }

    private static OrleansTransactionAbortedException Refused(TransactionInfo info, (ParticipantId Participant, Vote? Vote, Exception? Error) refusal)
    {
        var (participant, vote, error) = refusal;
        if (vote is null)
        {
            return new TransactionConflictException(info.Id, $"Transaction {info.Id} aborted: {Describe(participant)} did not answer prepare ({error?.Message}).", error);
        }

        return new TransactionConflictException(info.Id, $"Transaction {info.Id} aborted on conflict: {vote.Reason ?? Describe(participant)}.");
    }

    private async Task SendAbortsAsync(TransactionInfo info, IEnumerable<ParticipantId> writers)
    {
        await Task.WhenAll(writers.Select(async writer =>
        {
            try
            {
                await Extension(writer).Abort(writer.Name, info.TransactionId);
            }
            catch (Exception exception)
            {
                LogAbortFailed(logger, exception, info.TransactionId, Describe(writer));
            }
        }));
    }

    private static ITransactionParticipantExtension Extension(ParticipantId participant) =>
        participant.Reference.AsReference<ITransactionParticipantExtension>();

    private static string Describe(ParticipantId participant) => $"{participant.Reference.GetGrainId()}/{participant.Name}";

    [LoggerMessage(Level = LogLevel.Warning, Message = "Transaction {TransactionId} committed but {Participant} did not confirm; it settles from the decision record")]
    private static partial void LogInstallFailed(ILogger logger, Exception exception, Guid transactionId, string participant);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Abort of transaction {TransactionId} did not reach {Participant}; it presumes abort later")]
    private static partial void LogAbortFailed(ILogger logger, Exception exception, Guid transactionId, string participant);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Decision record of transaction {TransactionId} could not be removed")]
    private static partial void LogForgetFailed(ILogger logger, Exception exception, Guid transactionId);
}
