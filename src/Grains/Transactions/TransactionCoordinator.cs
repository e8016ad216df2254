using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Transactions;
using Orleans.Transactions.Abstractions;
using Roundabout.Hosting;
using Roundabout.Storage;
using Roundabout.Transactions.Committers;
using Roundabout.Transactions.OneRound;
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
///    With a transaction committer among them, record Committing instead, run its operation, and
///    let its answer decide.
/// Any "no" before the decision aborts; an unknown outcome is reported in-doubt, never aborted.
/// </remarks>
internal sealed partial class TransactionCoordinator(
    ITimestampSource timestamps,
    CommitDecisions decisions,
    CommitInstaller installer,
    GrainReferences references,
    IOptions<RoundaboutTransactionOptions> options,
    ILogger<TransactionCoordinator> logger)
{
    public async Task ResolveAsync(TransactionInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        var stamp = TransactionStamp.Of(info);
        var writers = new List<ParticipantId>();
        var readers = new List<ParticipantId>();
        List<ParticipantId>? committers = null; // rare: no list unless there is one
        foreach (var (participant, access) in info.Participants)
        {
            if (access.Writes > 0)
            {
                writers.Add(participant);
                if (participant.IsPriorityManager())
                {
                    (committers ??= []).Add(participant);
                }
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

        if (committers is { Count: > 1 })
        {
            await SendAbortsAsync(info.TransactionId, writers);
            throw new OrleansTransactionAbortedException(
                info.Id,
                $"Transaction {info.Id} aborted: it used {committers.Count} transaction committers ({string.Join(", ", committers.Select(committer => committer.Describe()))}); one transaction can have at most one, since each one's answer would decide it.");
        }

        long commitTimestamp;
        try
        {
            commitTimestamp = await timestamps.NextAsync();
        }
        catch (Exception exception)
        {
            // Nothing was prepared: the transaction certainly did not take effect.
            await SendAbortsAsync(info.TransactionId, writers);
            throw new OrleansTransactionTransientFailureException(info.Id, $"Transaction {info.Id} aborted: no commit timestamp could be had from the oracle ({exception.Message}).", exception);
        }

        var validatedReaders = stamp.Isolation == IsolationLevel.Serializable ? readers : [];
        if (writers.Count == 1)
        {
            await CommitSingleWriterAsync(info, stamp, commitTimestamp, writers[0], validatedReaders);
        }
        else
        {
            await CommitManyWritersAsync(info, stamp, commitTimestamp, writers, validatedReaders, committers?[0]);
        }
    }

    /// <summary>Drops the tentative writes of a transaction that will not commit. Never throws.</summary>
    public async Task AbortAsync(TransactionInfo info)
    {
        var writers = info.Participants.Where(p => p.Value.Writes > 0).Select(p => p.Key).ToList();
        await SendAbortsAsync(info.TransactionId, writers);
    }

    private async Task CommitSingleWriterAsync(TransactionInfo info, TransactionStamp stamp, long commitTimestamp, ParticipantId writer, List<ParticipantId> readers)
    {
        if (readers.Count > 0)
        {
            var (readVotes, _) = await PrepareAllAsync(info, stamp, commitTimestamp, [], readers);
            if (FirstRefusal(readVotes) is { } refusal)
            {
                await SendAbortsAsync(info.TransactionId, [writer]);
                throw Refused(info.Id, refusal);
            }
        }

        var access = info.Participants[writer];
        var request = new PrepareRequest(info.TransactionId, stamp.ReadTimestamp, commitTimestamp, stamp.Isolation, access.Writes, Read: access.Reads > 0);
        Vote vote;
        try
        {
            vote = await references.ExtensionOf(writer).PrepareAndCommit(writer.Name, request);
        }
        catch (Exception exception)
        {
            throw new OrleansTransactionInDoubtException(info.Id, $"the commit at {writer.Describe()} did not answer; it may or may not have taken effect", exception);
        }

        if (vote.Kind == VoteKind.NotWritten)
        {
            // The one write that would have been the commit certainly did not happen.
            throw new OrleansTransactionTransientFailureException(info.Id, $"Transaction {info.Id} aborted, nothing took effect: {vote.Reason}");
        }

        if (vote.Kind is VoteKind.StorageFailure or VoteKind.OperationFailed)
        {
            throw new OrleansTransactionInDoubtException(info.Id, vote.Reason ?? "storage failed during commit", null);
        }

        if (!vote.IsYes)
        {
            throw Refused(info.Id, (writer, vote, null));
        }
    }

    private async Task CommitManyWritersAsync(
        TransactionInfo info, TransactionStamp stamp, long commitTimestamp, List<ParticipantId> writers, List<ParticipantId> readers, ParticipantId? committer)
    {
        var (votes, onThisSilo) = await PrepareAllAsync(info, stamp, commitTimestamp, writers, readers);
        if (FirstRefusal(votes) is { } refusal)
        {
            // No decision was recorded, so none can be Commit: a participant that prepared and
            // misses this abort presumes abort when it asks.
            await SendAbortsAsync(info.TransactionId, writers);
            throw Refused(info.Id, refusal);
        }

        // Grains on this silo confirm their installs here instead of answering them.
        if (committer is { } running)
        {
            await RunCommitOperationAndInstallAsync(info.TransactionId, commitTimestamp, writers, running, ConfirmsHere(onThisSilo));
        }
        else
        {
            await DecideAndInstallAsync(info.TransactionId, commitTimestamp, writers, ConfirmsHere(onThisSilo));
        }
    }

    /// <summary>
    /// Every participant voted yes and one of them is a transaction committer: record Committing,
    /// run its operation, and let the answer decide. Committing holds off the participants' own
    /// Abort proposals while the operation runs; if one of them got its Abort in first, the
    /// operation is not run at all.
    /// </summary>
    private async Task RunCommitOperationAndInstallAsync(
        Guid transactionId, long commitTimestamp, List<ParticipantId> writers, ParticipantId committer, Func<ParticipantId, bool>? confirmsHere)
    {
        var id = transactionId.ToString();
        var operationTimeout = options.Value.CommitOperationTimeout;

        // Participants presume the coordinator gone only after the operation's time and a
        // resolution time-out more (which also absorbs clocks that disagree between silos). The
        // operation's own deadline counts from the same moment, so a slow Committing write eats
        // into the operation's time, never into that margin.
        var operationDeadline = DateTime.UtcNow + operationTimeout;
        RecordedDecision committing;
        try
        {
            committing = await decisions.BeginCommittingAsync(transactionId, operationDeadline + options.Value.PreparedResolutionTimeout);
        }
        catch (Exception exception)
        {
            // The operation has not run and nobody will record Commit: aborting is certain.
            await SendAbortsAsync(transactionId, writers);
            throw new OrleansTransactionTransientFailureException(id, $"Transaction {id} aborted: its commit could not be recorded as under way ({exception.Message}).", exception);
        }

        if (committing.Decision == Decision.Abort)
        {
            await SendAbortsAsync(transactionId, writers);
            throw new TransactionConflictException(id, $"Transaction {id} aborted: a participant waited too long for its outcome and decided abort first.");
        }

        var timeLeft = operationDeadline - DateTime.UtcNow;
        if (timeLeft <= TimeSpan.Zero)
        {
            // Recording Committing took the operation's whole time: it has not run, so abort.
            await FinishAbortedAsync(transactionId, committing, writers);
            throw new TransactionConflictException(id, $"Transaction {id} aborted: recording its commit as under way took longer than {operationTimeout}; the commit operation did not run.");
        }

        CommitOperationAnswer answer;
        try
        {
            answer = await references.ExtensionOf(committer).RunCommitOperation(committer.Name, transactionId).WaitAsync(timeLeft);
        }
        catch (Exception exception)
        {
            answer = new CommitOperationAnswer(
                CommitOperationOutcome.Failed,
                exception is TimeoutException ? $"did not answer within {operationTimeout}" : $"{exception.GetType().Name}: {exception.Message}");
        }

        if (answer.Outcome != CommitOperationOutcome.Committed)
        {
            await FinishAbortedAsync(transactionId, committing, writers);
            throw answer.Outcome switch
            {
                CommitOperationOutcome.Declined => new OrleansTransactionAbortedException(id, $"Transaction {id} aborted: the commit operation at {committer.Describe()} declined it."),
                CommitOperationOutcome.NotHeld => new TransactionConflictException(id, $"Transaction {id} aborted: {committer.Describe()} no longer held its commit operation (the grain was reactivated), which did not run."),
                _ => new OrleansTransactionInDoubtException(
                    id, $"the commit operation at {committer.Describe()} failed ({answer.Failure}). The transaction's own changes were rolled back; whether the operation took effect is unknown", null),
            };
        }

        RecordedDecision decision;
        try
        {
            decision = await decisions.FinishCommittingAsync(transactionId, committing, Decision.Commit);
        }
        catch (Exception exception)
        {
            throw new OrleansTransactionInDoubtException(id, "the commit operation took effect but the commit decision could not be recorded; the transaction may or may not have taken effect", exception);
        }

        if (decision.Decision != Decision.Commit)
        {
            // Only after the operation's time-out and a resolution time-out more.
            await SendAbortsAsync(transactionId, writers);
            throw new OrleansTransactionInDoubtException(
                id, $"the commit operation at {committer.Describe()} took effect, but it answered so late that the participants had presumed the transaction abandoned and rolled it back", null);
        }

        installer.Install(transactionId, commitTimestamp, writers, decision, confirmsHere);
    }

    /// <summary>Replaces Committing with Abort and drops the prepared writes. Never throws.</summary>
    private async Task FinishAbortedAsync(Guid transactionId, RecordedDecision committing, List<ParticipantId> writers)
    {
        RecordedDecision? aborted = null;
        try
        {
            aborted = await decisions.FinishCommittingAsync(transactionId, committing, Decision.Abort);
        }
        catch (Exception exception)
        {
            // Participants that miss the abort below presume it once Committing is abandoned.
            LogAbortNotRecorded(logger, exception, transactionId);
        }

        await SendAbortsAsync(transactionId, writers);

        // A declined operation is an ordinary outcome: its record must not stay for good. Safe to
        // remove: nobody records Commit after Abort, and a participant that missed the abort and
        // proposes it later just records Abort again.
        if (aborted is { Decision: Decision.Abort } abort)
        {
            decisions.Forget(transactionId, abort);
        }
    }

    /// <summary>
    /// Commits a one-round transaction whose parts have all voted yes: every written state is
    /// already prepared, so what is left is the decision, the answer and the installs.
    /// </summary>
    public async Task CommitPreparedAsync(OneRoundTicket ticket, PreparedPart[] parts)
    {
        ArgumentNullException.ThrowIfNull(ticket);
        ArgumentNullException.ThrowIfNull(parts);
        var writers = new List<ParticipantId>();
        var onThisSilo = new HashSet<GrainId>();
        foreach (var part in parts)
        {
            if (part.TransactionId != ticket.TransactionId || !part.Vote.IsYes)
            {
                throw new ArgumentException($"Only the yes votes of transaction {ticket.TransactionId} can be committed; one part is {(part.Vote.IsYes ? $"of transaction {part.TransactionId}" : "a no")}.", nameof(parts));
            }

            writers.AddRange(part.Written);
            if (part.Installer == installer.Instance)
            {
                onThisSilo.Add(part.Grain);
            }
        }

        if (writers.Count > 0)
        {
            // Parts on this silo confirm their installs here instead of answering them.
            await DecideAndInstallAsync(ticket.TransactionId, ticket.CommitTimestamp, writers, ConfirmsHere(onThisSilo));
        }
    }

    /// <summary>Drops the prepared writes of a one-round transaction that will not commit. Never throws.</summary>
    public Task AbortPreparedAsync(Guid transactionId, IEnumerable<ParticipantId> written) => SendAbortsAsync(transactionId, written);

    /// <summary>Every writer voted yes: record Commit (first decision wins), answer, install, forget.</summary>
    private async Task DecideAndInstallAsync(Guid transactionId, long commitTimestamp, List<ParticipantId> writers, Func<ParticipantId, bool>? confirmsHere = null)
    {
        var id = transactionId.ToString();
        RecordedDecision decision;
        try
        {
            decision = await decisions.DecideAsync(transactionId, Decision.Commit);
        }
        catch (Exception exception) when (RecordStoreUnavailableException.CertainlyNotWritten(exception))
        {
            // No decision exists, and the coordinator will not write one now: certainly aborted.
            await SendAbortsAsync(transactionId, writers);
            throw new OrleansTransactionTransientFailureException(id, $"Transaction {id} aborted, nothing took effect: its commit decision could not be recorded ({exception.Message})", exception);
        }
        catch (Exception exception)
        {
            throw new OrleansTransactionInDoubtException(id, "the commit decision could not be recorded; it may or may not have taken effect", exception);
        }

        if (decision.Decision == Decision.Abort)
        {
            await SendAbortsAsync(transactionId, writers);
            throw new TransactionConflictException(id, $"Transaction {id} aborted: a participant waited too long for its outcome and decided abort first.");
        }

        // Committed: the caller may know now. Installing is the participants' business; a
        // snapshot that meets a prepared write before its Commit arrives waits for it, and one
        // that misses the message settles from the decision record.
        installer.Install(transactionId, commitTimestamp, writers, decision, confirmsHere);
    }

    /// <summary>Whether a written participant is a state of a grain in <paramref name="here"/>; null if there are none.</summary>
    private static Func<ParticipantId, bool>? ConfirmsHere(HashSet<GrainId> here) =>
        here.Count == 0 ? null : writer => here.Contains(writer.Reference.GetGrainId());

    /// <summary>
    /// Prepares every participant, with one message per grain: a grain whose states were written
    /// and read (an account's balance and its overdraft setting) validates them all in one call.
    /// Also returns the grains that answered from this silo (see <see cref="CommitInstaller"/>).
    /// </summary>
    private async Task<((ParticipantId Participant, Vote? Vote, Exception? Error)[] Votes, HashSet<GrainId> OnThisSilo)> PrepareAllAsync(
        TransactionInfo info, TransactionStamp stamp, long commitTimestamp, List<ParticipantId> writers, List<ParticipantId> readers)
    {
        var request = new PrepareRequest(info.TransactionId, stamp.ReadTimestamp, commitTimestamp, stamp.Isolation, Writes: 0, decisions.OrderingDomain);
        var byGrain = new Dictionary<GrainId, List<(ParticipantId Participant, AccessCounter Access)>>();
        foreach (var participant in writers.Concat(readers))
        {
            var grainId = participant.Reference.GetGrainId();
            if (!byGrain.TryGetValue(grainId, out var states))
            {
                byGrain[grainId] = states = [];
            }

            // The writes (0 for a state it only read) and reads the transaction counted there.
            states.Add((participant, info.Participants[participant]));
        }

        var perGrain = await Task.WhenAll(byGrain.Values.Select(async states =>
        {
            try
            {
                var prepared = await references.ExtensionOf(states[0].Participant).PrepareStates([.. states.Select(s => new StatePrepare(s.Participant.Name, s.Access.Writes, s.Access.Reads > 0))], request);
                var votes = prepared.Votes;
                if (votes.Length != states.Count)
                {
                    throw new InvalidOperationException($"{states[0].Participant.Describe()} answered {votes.Length} votes for {states.Count} states.");
                }

                return (Votes: states.Select((s, i) => (s.Participant, (Vote?)votes[i], (Exception?)null)).ToArray(), prepared.Installer);
            }
            catch (Exception exception)
            {
                return (Votes: states.Select(s => (s.Participant, (Vote?)null, (Exception?)exception)).ToArray(), Installer: Guid.Empty);
            }
        }));
        var onThisSilo = new HashSet<GrainId>();
        foreach (var grain in perGrain)
        {
            if (grain.Installer == installer.Instance)
            {
                onThisSilo.Add(grain.Votes[0].Participant.Reference.GetGrainId());
            }
        }

        return ([.. perGrain.SelectMany(grain => grain.Votes)], onThisSilo);
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

    private static OrleansTransactionAbortedException Refused(string transactionId, (ParticipantId Participant, Vote? Vote, Exception? Error) refusal)
    {
        var (participant, vote, error) = refusal;
        if (vote is null)
        {
            return new TransactionConflictException(transactionId, $"Transaction {transactionId} aborted: {participant.Describe()} did not answer prepare ({error?.Message}).", error);
        }

        if (vote.Kind is VoteKind.StorageFailure or VoteKind.NotWritten)
        {
            // Before the decision a failed prepare is a certain abort, whatever became of its write.
            return new TransactionConflictException(transactionId, $"Transaction {transactionId} aborted: {vote.Reason}.");
        }

        if (vote.Kind == VoteKind.Declined)
        {
            // Not a conflict: retrying would ask the operation the same question.
            return new OrleansTransactionAbortedException(transactionId, $"Transaction {transactionId} aborted: {vote.Reason}.");
        }

        return new TransactionConflictException(transactionId, $"Transaction {transactionId} aborted on conflict: {vote.Reason ?? participant.Describe()}.");
    }

    private async Task SendAbortsAsync(Guid transactionId, IEnumerable<ParticipantId> writers)
    {
        await Task.WhenAll(writers.Select(async writer =>
        {
            try
            {
                await references.ExtensionOf(writer).Abort(writer.Name, transactionId);
            }
            catch (Exception exception)
            {
                LogAbortFailed(logger, exception, transactionId, writer.Describe());
            }
        }));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Transaction {TransactionId}: Abort could not replace its Committing record; participants presume it once the record is abandoned")]
    private static partial void LogAbortNotRecorded(ILogger logger, Exception exception, Guid transactionId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Abort of transaction {TransactionId} did not reach {Participant}; it presumes abort later")]
    private static partial void LogAbortFailed(ILogger logger, Exception exception, Guid transactionId, string participant);
}
