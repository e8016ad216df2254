using Microsoft.Extensions.Logging;
using Orleans.Transactions;
using Orleans.Transactions.Abstractions;
using Roundabout.Storage;
using Roundabout.Transactions;
using Roundabout.Transactions.Protocol;
using Roundabout.Transactions.Timestamps;

namespace Roundabout.State;

/// <summary>
/// What a transactional state and a transactional counter share in one grain activation: the
/// record and its writer, the older versions stored for the next activation, the
/// registration as the activation's participant, the lifecycle hooks, what a storage failure does,
/// and the signals that end waits (this activation stopped; its deactivation started).
/// </summary>
/// <typeparam name="TValue">The committed value: the state itself, or the counter's number.</typeparam>
internal sealed partial class SlotActivation<TValue>
{
    private readonly IGrainContext _context;
    private readonly CommitDecisions _decisions;
    private readonly string _kind;
    private readonly ILogger _logger;
    private readonly Func<VersionChain<TValue>?> _loadedChain;
    private readonly CancellationTokenSource _stopped = new();
    private readonly DeactivationSignal _deactivation;
    private readonly ITimestampSource _timestamps;
    private bool _stopping;

    /// <param name="kind">"state" or "counter": the record's key prefix, and the name in messages.</param>
    /// <param name="participant">The state or counter, registered under its state name.</param>
    /// <param name="capture">The record as of now, for the writer; when asked (the activation is stopping), with the older versions that snapshots may still read.</param>
    /// <param name="loadedChain">The committed versions once loaded, <c>null</c> before: whether a stopping activation stores older versions.</param>
    public SlotActivation(
        IGrainContext context,
        TransactionalStateConfiguration config,
        string kind,
        IRecordStore store,
        CommitDecisions decisions,
        ITimestampSource timestamps,
        ITransactionParticipant participant,
        Func<bool, byte[]> capture,
        Func<VersionChain<TValue>?> loadedChain,
        ILogger logger)
    {
        _context = context;
        _decisions = decisions;
        _kind = kind;
        _logger = logger;
        _loadedChain = loadedChain;
        _timestamps = timestamps;
        Describe = $"{context.GrainId}/{config.StateName}";
        Writer = new SlotWriter(store, $"roundabout/{kind}/{context.GrainId}/{config.StateName}", () => capture(_stopping), FailStorage);
        _deactivation = DeactivationSignal.GetOrCreate(context);
        ParticipantRegistry.GetOrCreate(context).Add(config.StateName, participant);
    }

    /// <summary>The grain and the state's name, for messages.</summary>
    public string Describe { get; }

    public SlotWriter Writer { get; }

    /// <summary>Cancelled when the activation stops (see <see cref="StopAsync"/>).</summary>
    public CancellationToken Stopped => _stopped.Token;

    /// <summary>Loads the record with <paramref name="load"/> when the grain activates, and stops with it.</summary>
    public void LoadAtActivation<TObserver>(Func<CancellationToken, Task> load) =>
        _context.ObservableLifecycle.Subscribe<TObserver>(GrainLifecycleStage.SetupState, load, StopAsync);

    /// <summary>The committed versions of the record just loaded: its stored history, if it holds together, then its committed version.</summary>
    public VersionChain<TValue> Resume(IReadOnlyList<CommittedVersion<TValue>>? history, long commitTimestamp, TValue value)
    {
        var chain = VersionChain<TValue>.Resume(history, commitTimestamp, value, out var historyLeftOut);
        if (historyLeftOut)
        {
            LogHistoryLeftOut(_logger, Describe, Writer.Key, commitTimestamp);
        }

        return chain;
    }

    /// <summary>Once the writer has failed, every operation is refused until the activation reloads.</summary>
    public void ThrowIfStorageFailed(TransactionInfo info)
    {
        if (Writer.Failure is { } failure)
        {
            throw new OrleansTransactionAbortedException(info.Id, $"{Describe} lost track of its storage and is being reloaded: {failure.Message}", failure);
        }
    }

    /// <summary>
    /// A reader's wait for the outcome of what is prepared here (<paramref name="decided"/>): true
    /// once decided or once the writer failed (the caller looks again, and finds out), false after
    /// <paramref name="timeout"/> (the caller settles what is stale). When the activation starts
    /// deactivating first, it throws <see cref="TransactionConflictException"/>
    /// instead: waiting on would hold the deactivation (see <see cref="DeactivationSignal"/>), and
    /// the transaction runs again at the next activation.
    /// </summary>
    /// <param name="waitedFor">What was prepared, for the message ("a write prepared at 7").</param>
    public async Task<bool> WaitForOutcomeAsync(Task decided, TimeSpan timeout, TransactionInfo info, string waitedFor)
    {
        var timedOut = Task.Delay(timeout);
        var finished = await _deactivation.WhenAnyOrStartedAsync(decided, Writer.Failed, timedOut);
        if (finished == _deactivation.Started && !decided.IsCompleted)
        {
            throw new TransactionConflictException(
                info.Id, $"{Describe} started deactivating while this transaction waited for the outcome of {waitedFor}. Retry the transaction.");
        }

        return finished != timedOut;
    }

    /// <summary>
    /// For <c>Stm.Retry</c>: true once <paramref name="newestCommit"/> is above
    /// <paramref name="timestamp"/>, or when the activation starts deactivating (look again, at the
    /// next activation); false after <paramref name="timeout"/>. <paramref name="changed"/> is the
    /// task that completes on the next change.
    /// </summary>
    public async Task<bool> WaitForCommitAfter(long timestamp, TimeSpan timeout, Func<long> newestCommit, Func<Task> changed)
    {
        var deadline = ParticipantTimings.ChangeWaitDeadline(timeout);
        while (newestCommit() <= timestamp)
        {
            var remaining = deadline - DateTime.UtcNow;
            if (remaining <= TimeSpan.Zero)
            {
                return false;
            }

            if (await _deactivation.WhenAnyOrStartedAsync(changed(), Task.Delay(remaining)) == _deactivation.Started)
            {
                return true;
            }
        }

        return true;
    }

    /// <summary>
    /// Settles a transaction prepared here whose coordinator has gone quiet: proposes Abort in its
    /// decision record (a Commit recorded first stands) and applies whichever decision stands with
    /// <paramref name="apply"/>. Nothing is proposed or applied once the activation has stopped
    /// (see <see cref="StopAsync"/>), or once <paramref name="stillPrepared"/> says the outcome
    /// arrived meanwhile. A failure is logged: the next reader that waits it out tries again.
    /// </summary>
    public async Task SettleAsync(Guid transactionId, ISettleable prepared, Func<bool> stillPrepared, Func<Decision, Task> apply)
    {
        if (prepared.Settling)
        {
            return;
        }

        prepared.Settling = true;
        try
        {
            if (_stopped.IsCancellationRequested)
            {
                return;
            }

            var proposed = await _decisions.ProposeAbortAsync(transactionId, stillPrepared, _stopped.Token);
            if (proposed is not { } decision || _stopped.IsCancellationRequested)
            {
                return; // decided meanwhile; or stopped while the decision was on its way
            }

            LogSettled(_logger, Describe, transactionId, decision);
            await apply(decision);
        }
        catch (OperationCanceledException) when (_stopped.IsCancellationRequested)
        {
            // Stopped while a committer's operation was still deciding.
        }
        catch (Exception exception)
        {
            LogSettleFailed(_logger, exception, Describe, transactionId);
        }
        finally
        {
            prepared.Settling = false;
        }
    }

    /// <summary>
    /// The activation is deactivating. Settling still under way (waiting for a coordinator's time,
    /// or for a decision record) proposes nothing more. One last write stores the older versions
    /// that running snapshots may still read, if there are any, so that the next activation
    /// serves those snapshots wherever it is placed; after it, the writer refuses every write, and
    /// the writes it has handed to the store are awaited. Orleans runs this before the activation
    /// leaves the grain directory, so before any next activation exists, and the next one then
    /// loads the record as written here and settles what is prepared itself. A write from here
    /// after the stop would change the record under the next activation (or be refused by its
    /// ETag): whichever write is refused stops its activation, which then reloads for nothing.
    /// The waiting is bounded (<see cref="ParticipantTimings.LastWriteTimeout"/>, or Orleans'
    /// deactivation time-out if shorter): a write that takes longer may land after the next
    /// activation has loaded, which the ETags turn into one reload of that activation.
    /// </summary>
    private async Task StopAsync(CancellationToken cancellationToken)
    {
        _stopped.Cancel();
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(ParticipantTimings.LastWriteTimeout);
        if (NeedsHistory())
        {
            _stopping = true;
            await AwaitWriteAsync(Writer.WriteAsync(), bounded.Token);
        }

        Writer.Stop();

        // A settle that was applying its outcome may have handed a write over since.
        await AwaitWriteAsync(Writer.LastWriteAsync(), bounded.Token);
    }

    /// <summary>Whether some snapshot may still read a version older than the newest (and storage still works).</summary>
    private bool NeedsHistory() =>
        Writer.Failure is null && _loadedChain() is { } chain && chain.HasObservableOlderVersion(_timestamps.Horizon);

    private async Task AwaitWriteAsync(Task write, CancellationToken cancellationToken)
    {
        try
        {
            await write.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException exception) when (cancellationToken.IsCancellationRequested)
        {
            LogLastWriteUnfinished(_logger, exception, Describe);
        }
        catch (Exception)
        {
            // The store failed the write (which has reached FailStorage), or the stop refused one
            // that had not been handed over yet: the next activation loads what stands.
        }
    }

    private void FailStorage(Exception exception)
    {
        LogStorageFailed(_logger, exception, Describe);
        _context.Deactivate(new DeactivationReason(DeactivationReasonCode.ApplicationError, exception, $"Transactional {_kind} storage failed; reloading from storage."));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{State}: prepared transaction {TransactionId} settled as {Decision}")]
    private static partial void LogSettled(ILogger logger, string state, Guid transactionId, Decision decision);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{State}: could not settle prepared transaction {TransactionId}; will retry on the next access")]
    private static partial void LogSettleFailed(ILogger logger, Exception exception, string state, Guid transactionId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{State}: the older versions stored in record {Key} do not hold together with its committed version {CommitTimestamp}; left out (snapshots that need them will find them too old)")]
    private static partial void LogHistoryLeftOut(ILogger logger, string state, string key, long commitTimestamp);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{State}: the deactivating activation stopped waiting for its last write; the next activation may reload once, and snapshots may find older versions too old")]
    private static partial void LogLastWriteUnfinished(ILogger logger, Exception exception, string state);

    [LoggerMessage(Level = LogLevel.Error, Message = "{State}: storage failed; the activation stops and reloads")]
    private static partial void LogStorageFailed(ILogger logger, Exception exception, string state);
}
