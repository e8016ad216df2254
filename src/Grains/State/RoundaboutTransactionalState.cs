using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Serialization;
using Orleans.Transactions;
using Orleans.Transactions.Abstractions;
using Roundabout.Storage;
using Roundabout.Transactions;
using Roundabout.Transactions.Protocol;
using Roundabout.Transactions.Timestamps;

namespace Roundabout.State;

/// <summary>
/// A multi-version transactional state: Roundabout's implementation of Orleans'
/// <see cref="ITransactionalState{TState}"/>. Grain code is unchanged; reads see the
/// transaction's snapshot, writes stay private until commit, and nothing is locked while
/// grain code runs.
/// </summary>
/// <remarks>
/// Everything here runs on the grain's scheduler, one turn at a time, so the fields need no
/// locks; the protocol's calls interleave with grain calls only at awaits. The rules:
/// 1. A read at snapshot rv waits while a prepared write at or below rv is undecided (it may
///    have committed), then returns the newest version at or below rv and raises
///    <c>_maxReadTimestamp</c> to rv, so that no write can later commit below rv.
/// 2. A write copies the version the snapshot sees into a tentative write of its own.
/// 3. Prepare of a write at c votes yes only if no version committed after rv, c is above
///    every snapshot that read the newest version, and no other write is prepared.
/// 4. Prepare of a serializable read at c votes yes only if nothing committed in (rv, c) and
///    no write below c is prepared; it raises <c>_maxReadTimestamp</c> to c.
/// </remarks>
internal sealed partial class RoundaboutTransactionalState<TState> : ITransactionalState<TState>, ITransactionParticipant
    where TState : class, new()
{
    private readonly IGrainContext _context;
    private readonly ITransactionDataCopier<TState> _copier;

    /// <summary>The copiers of the update and read functions' results, by type: looked up once each, as Orleans' own state does.</summary>
    private readonly Dictionary<Type, object> _resultCopiers = [];

    private readonly Serializer<OrleansTransactionAbortedException> _abortSerializer;
    private readonly Serializer<DurableSlot<TState>> _serializer;
    private readonly IRecordStore _store;
    private readonly ITimestampSource _timestamps;
    private readonly RoundaboutTransactionOptions _options;
    private readonly ILogger _logger;
    private readonly ParticipantId _participantId;
    private readonly SlotActivation<TState> _slot;
    private readonly SlotWriter _writer;
    private readonly Dictionary<Guid, TentativeWrite<TState>> _tentative = [];

    private VersionChain<TState> _chain = new(0, new TState());
    private long _maxReadTimestamp;
    private PreparedWrite<TState>? _prepared;
    private DateTime _lastSweepUtc = DateTime.UtcNow;
    private bool _loaded;
    private TaskCompletionSource _installed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public RoundaboutTransactionalState(
        TransactionalStateConfiguration config,
        IGrainContext context,
        ITransactionDataCopier<TState> copier,
        Serializer<DurableSlot<TState>> serializer,
        Serializer<OrleansTransactionAbortedException> abortSerializer,
        IRecordStore store,
        ITimestampSource timestamps,
        CommitDecisions decisions,
        IOptions<RoundaboutTransactionOptions> options,
        ILogger<RoundaboutTransactionalState<TState>> logger)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(config.StateName);
        _context = context;
        _copier = copier;
        _serializer = serializer;
        _abortSerializer = abortSerializer;
        _store = store;
        _timestamps = timestamps;
        _options = options.Value;
        _logger = logger;
        _participantId = new ParticipantId(config.StateName, context.GrainReference, ParticipantId.Role.Resource | ParticipantId.Role.Manager);
        _slot = new SlotActivation<TState>(context, config, "state", store, decisions, timestamps, this, Capture, () => _loaded ? _chain : null, logger);
        _writer = _slot.Writer;
        _slot.LoadAtActivation<RoundaboutTransactionalState<TState>>(LoadAsync);
    }

    /// <summary>The number of committed versions kept in memory (for tests of version pruning).</summary>
    internal int RetainedVersionCount => _chain.Count;

    /// <summary>
    /// For tests of what a reader does after its wait for a prepared write timed out: awaited then,
    /// before the reader looks at that write again, so that the test can decide it meanwhile.
    /// </summary>
    internal Func<Task>? AfterReaderWaitTimedOut { get; set; }

    private string Describe => _slot.Describe;

    public async Task<TResult> PerformRead<TResult>(Func<TState, TResult> readFunction)
    {
        ArgumentNullException.ThrowIfNull(readFunction);
        var info = AmbientTransaction.GetRequired();
        var stamp = TransactionStamp.Of(info);
        TState? committed = null;
        try
        {
            await EnsureUsableAsync(info);
            if (!_tentative.ContainsKey(info.TransactionId))
            {
                committed = (await ReadCommittedAsync(info, stamp.ReadTimestamp)).Value;
            }
        }
        catch (Exception exception)
        {
            Doom(info, exception);
            throw;
        }

        // Looked at after the awaits: another call of this transaction may have written meanwhile,
        // and a transaction reads its own writes.
        TState state;
        if (_tentative.TryGetValue(info.TransactionId, out var tentative))
        {
            tentative.Touch();
            state = tentative.Value;
        }
        else
        {
            state = committed!;
        }

        info.RecordRead(_participantId, info.TimeStamp);
        return CopyResult(readFunction(state));
    }

    /// <summary>
    /// A state operation of the transaction failed (a conflict, a snapshot no longer kept, lost
    /// storage): the transaction must not commit, even if the grain catches the exception and goes
    /// on. Orleans' pipeline aborts a transaction whose info carries an exception, whichever call
    /// recorded it; otherwise it would commit without the write that failed here.
    /// </summary>
    private void Doom(TransactionInfo info, Exception exception) => info.RecordException(exception, _abortSerializer);

    public async Task<TResult> PerformUpdate<TResult>(Func<TState, TResult> updateFunction)
    {
        ArgumentNullException.ThrowIfNull(updateFunction);
        var info = AmbientTransaction.GetRequired();
        if (info.IsReadOnly)
        {
            throw new OrleansReadOnlyViolatedException(info.Id);
        }

        var stamp = TransactionStamp.Of(info);
        TState? committed = null;
        try
        {
            await EnsureUsableAsync(info);
            SweepAbandonedWrites();
            if (!_tentative.ContainsKey(info.TransactionId))
            {
                committed = (await ReadCommittedAsync(info, stamp.ReadTimestamp)).Value;

                // Every write here is a read-modify-write of the snapshot's version; if a newer one
                // committed meanwhile, prepare would refuse it, so refuse now and save the work.
                if (!_tentative.ContainsKey(info.TransactionId) && _chain.HasCommitAfter(stamp.ReadTimestamp))
                {
                    throw Conflict(info.Id, $"version {_chain.Newest.CommitTimestamp} was committed after this transaction's snapshot {stamp.ReadTimestamp}");
                }
            }
        }
        catch (Exception exception)
        {
            Doom(info, exception);
            throw;
        }

        // Looked at after the awaits, not before: two calls of one transaction that both waited
        // above (for another transaction's prepared write) would otherwise each update the
        // snapshot's value, and the second would overwrite the first's update.
        var working = _tentative.TryGetValue(info.TransactionId, out var tentative) ? _copier.DeepCopy(tentative.Value) : _copier.DeepCopy(committed!);

        // Apply to a copy: if the update throws half-way, the tentative write stays as it was.
        var result = updateFunction(working);
        if (!_tentative.TryGetValue(info.TransactionId, out tentative))
        {
            _tentative[info.TransactionId] = tentative = new TentativeWrite<TState>(working);
        }

        tentative.RecordWrite(working);

        info.RecordWrite(_participantId, info.TimeStamp);
        return CopyResult(result);
    }

    /// <summary>
    /// A result leaves the state as a copy, so that the caller cannot change the state through it:
    /// with the application's <see cref="ITransactionDataCopier{TData}"/> for its type, if it
    /// registered one (Orleans' default copier otherwise).
    /// </summary>
    private TResult CopyResult<TResult>(TResult result)
    {
        if (!_resultCopiers.TryGetValue(typeof(TResult), out var copier))
        {
            _resultCopiers[typeof(TResult)] = copier = _context.ActivationServices.GetRequiredService<ITransactionDataCopier<TResult>>();
        }

        return ((ITransactionDataCopier<TResult>)copier).DeepCopy(result);
    }

    public async Task<Vote> Prepare(PrepareRequest request)
    {
        if (_writer.Failure is not null || !_loaded)
        {
            return new Vote(VoteKind.Lost, $"{Describe} is being reloaded from storage");
        }

        if (!request.Wrote)
        {
            return ValidateRead(request);
        }

        if (!TryTakeTentative(request, out var tentative, out var refusal))
        {
            return refusal;
        }

        var prepared = new PreparedWrite<TState>(request.TransactionId, request.CommitTimestamp, tentative.Value, commitsWhenDurable: false, DateTime.UtcNow);
        _prepared = prepared;
        try
        {
            await _writer.WriteBeforeAsync(request.DecisionOrdering);
        }
        catch (Exception exception)
        {
            // Whether the prepared record became durable is unknown; the next activation reads the
            // truth from storage and settles it through the decision record.
            return Vote.OfFailedWrite(exception, $"{Describe} could not make its prepare durable: {exception.Message}");
        }

        return Vote.Yes;
    }

    public async Task<Vote> PrepareAndCommit(PrepareRequest request)
    {
        if (_writer.Failure is not null || !_loaded)
        {
            return new Vote(VoteKind.Lost, $"{Describe} is being reloaded from storage");
        }

        if (!TryTakeTentative(request, out var tentative, out var refusal))
        {
            return refusal;
        }

        var prepared = new PreparedWrite<TState>(request.TransactionId, request.CommitTimestamp, tentative.Value, commitsWhenDurable: true, DateTime.UtcNow);
        _prepared = prepared;
        try
        {
            await _writer.WriteAsync();
        }
        catch (Exception exception)
        {
            return Vote.OfFailedWrite(exception, $"{Describe} could not make its commit durable: {exception.Message}");
        }

        Install(prepared);
        return Vote.Yes;
    }

    public async Task Commit(Guid transactionId, long commitTimestamp, Guid? decisionOrdering = null)
    {
        if (_prepared is not { } prepared || prepared.TransactionId != transactionId)
        {
            // Already installed (or settled by recovery). The caller forgets the decision once we
            // answer, so answer only when the write that recorded the install is durable.
            await _writer.LastWriteAsync();
            return;
        }

        if (prepared.CommitTimestamp != commitTimestamp)
        {
            throw new InvalidOperationException($"{Describe}: transaction {transactionId} prepared at {prepared.CommitTimestamp} but commits at {commitTimestamp}.");
        }

        Install(prepared);

        // Not quietly: if the install is not durable, the coordinator must keep the decision record,
        // which is what the prepared record settles from when the slot reloads.
        await _writer.WriteBeforeAsync(decisionOrdering);
    }

    public async Task Abort(Guid transactionId)
    {
        _tentative.Remove(transactionId);
        if (_prepared is { } prepared && prepared.TransactionId == transactionId && !prepared.CommitsWhenDurable)
        {
            _prepared = null;
            prepared.Decided.TrySetResult();
            await _writer.WriteQuietlyAsync();
        }
    }

    public Task<bool> WaitForCommitAfter(long timestamp, TimeSpan timeout) =>
        _slot.WaitForCommitAfter(timestamp, timeout, () => _chain.Newest.CommitTimestamp, () => _installed.Task);

    private bool TryTakeTentative(PrepareRequest request, out TentativeWrite<TState> tentative, out Vote refusal)
    {
        if (!_tentative.Remove(request.TransactionId, out tentative!))
        {
            refusal = new Vote(VoteKind.Lost, $"{Describe} no longer holds the transaction's writes (the grain was reactivated or the transaction was abandoned)");
            return false;
        }

        if (tentative.Writes != request.Writes)
        {
            // Earlier writes were dropped (swept as abandoned, or held by an earlier activation) and
            // a later call started from the snapshot again: its value lacks them.
            refusal = new Vote(VoteKind.Lost, $"{Describe} holds {tentative.Writes} of the transaction's {request.Writes} writes (the others were dropped when the grain was reactivated or the transaction looked abandoned)");
            return false;
        }

        var conflict = ValidateWrite(request);
        if (conflict is not null)
        {
            refusal = new Vote(VoteKind.Conflict, conflict);
            return false;
        }

        refusal = Vote.Yes;
        return true;
    }

    private string? ValidateWrite(PrepareRequest request)
    {
        if (_prepared is { } other && other.TransactionId != request.TransactionId)
        {
            ResolveIfStale(other);
            return $"{Describe}: another transaction's write is being committed at {other.CommitTimestamp}";
        }

        if (_chain.HasCommitAfter(request.ReadTimestamp))
        {
            return $"{Describe}: version {_chain.Newest.CommitTimestamp} was committed after this transaction's snapshot {request.ReadTimestamp}";
        }

        if (request.CommitTimestamp <= _maxReadTimestamp)
        {
            return $"{Describe}: a snapshot at {_maxReadTimestamp} already read the version this transaction would replace at {request.CommitTimestamp}";
        }

        return null;
    }

    private Vote ValidateRead(PrepareRequest request)
    {
        if (request.Isolation == IsolationLevel.Snapshot)
        {
            return Vote.Yes;
        }

        if (_prepared is { } other && other.TransactionId != request.TransactionId && other.CommitTimestamp < request.CommitTimestamp)
        {
            ResolveIfStale(other);
            return new Vote(VoteKind.Conflict, $"{Describe}: a write at {other.CommitTimestamp} may commit between this transaction's snapshot and its commit");
        }

        if (_chain.MayHaveCommitBetween(request.ReadTimestamp, request.CommitTimestamp))
        {
            return new Vote(VoteKind.Conflict, $"{Describe}: it changed after this transaction read it at {request.ReadTimestamp}");
        }

        _maxReadTimestamp = Math.Max(_maxReadTimestamp, request.CommitTimestamp);
        return Vote.Yes;
    }

    private async Task<CommittedVersion<TState>> ReadCommittedAsync(TransactionInfo info, long readTimestamp)
    {
        while (_prepared is { } prepared && prepared.CommitTimestamp <= readTimestamp)
        {
            // After a storage failure a single writer's commit stays undecided here for good (only
            // a reload knows its outcome), and Orleans does not finish deactivating while this waits.
            _slot.ThrowIfStorageFailed(info);

            // It may already be committed: only its outcome tells what this snapshot contains.
            if (!await _slot.WaitForOutcomeAsync(prepared.Decided.Task, _options.PreparedResolutionTimeout, info, $"a write prepared at {prepared.CommitTimestamp}"))
            {
                if (AfterReaderWaitTimedOut is { } testSeam)
                {
                    await testSeam();
                }

                ResolveIfStale(prepared);
            }
        }

        if (!_chain.TryGetVisible(readTimestamp, out var version))
        {
            throw new SnapshotTooOldException(
                info.Id,
                $"{Describe} no longer keeps the version that snapshot {readTimestamp} sees (oldest kept: {_chain.Versions[0].CommitTimestamp}). Retry the transaction.");
        }

        _maxReadTimestamp = Math.Max(_maxReadTimestamp, readTimestamp);
        return version;
    }

    private void Install(PreparedWrite<TState> prepared)
    {
        _chain.Install(prepared.CommitTimestamp, prepared.Value);
        _prepared = null;
        prepared.Decided.TrySetResult();
        Interlocked.Exchange(ref _installed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        _chain.Prune(_timestamps.Horizon);
    }

    /// <summary>
    /// Liveness only: a write prepared for longer than the time-out proposes Abort in the
    /// decision record. If the coordinator decided Commit first, the write is installed instead.
    /// </summary>
    private void ResolveIfStale(PreparedWrite<TState> prepared)
    {
        // A reader calls this after its wait: the write it waited for may have been decided since.
        if (!ReferenceEquals(_prepared, prepared) || prepared.CommitsWhenDurable || DateTime.UtcNow - prepared.PreparedAtUtc < _options.PreparedResolutionTimeout)
        {
            return;
        }

        _ = SettleFromDecisionAsync(prepared);
    }

    private Task SettleFromDecisionAsync(PreparedWrite<TState> prepared) =>
        _slot.SettleAsync(
            prepared.TransactionId,
            prepared,
            stillPrepared: () => ReferenceEquals(_prepared, prepared),
            apply: decision => decision == Decision.Commit ? Commit(prepared.TransactionId, prepared.CommitTimestamp) : Abort(prepared.TransactionId));

    private async Task LoadAsync(CancellationToken cancellationToken)
    {
        var record = await _store.ReadAsync(_writer.Key, cancellationToken);
        if (record is not null)
        {
            var slot = _serializer.Deserialize(record.Value) ?? throw new InvalidOperationException($"Storage record {_writer.Key} is empty.");
            _writer.ETag = record.ETag;
            _chain = _slot.Resume(slot.History, slot.CommitTimestamp, slot.Value ?? new TState());
            if (slot.Prepared is { } stored)
            {
                _prepared = new PreparedWrite<TState>(stored.TransactionId, stored.CommitTimestamp, stored.Value ?? new TState(), commitsWhenDurable: false, stored.PreparedAtUtc);
            }
        }

        // Snapshots of the previous activation may have read the newest version: no write may
        // commit below any timestamp handed out so far.
        _maxReadTimestamp = await _timestamps.NextAsync();
        _loaded = true;

        if (_prepared is { } recovered)
        {
            LogRecoveredPrepared(_logger, Describe, recovered.TransactionId, recovered.CommitTimestamp);
            _ = SettleRecoveredAsync(recovered);
        }
    }

    private async Task SettleRecoveredAsync(PreparedWrite<TState> recovered)
    {
        var wait = _options.PreparedResolutionTimeout - (DateTime.UtcNow - recovered.PreparedAtUtc);
        if (wait > TimeSpan.Zero)
        {
            // The coordinator may still be alive and about to decide; give it its time.
            await Task.WhenAny(recovered.Decided.Task, Task.Delay(wait, _slot.Stopped));
        }

        if (ReferenceEquals(_prepared, recovered))
        {
            await SettleFromDecisionAsync(recovered);
        }
    }

    private async Task EnsureUsableAsync(TransactionInfo info)
    {
        _slot.ThrowIfStorageFailed(info);

        if (!_loaded)
        {
            // Loading happens during activation, before any call; this only guards odd hosting setups.
            await LoadAsync(CancellationToken.None);
        }
    }

    private void SweepAbandonedWrites()
    {
        var now = DateTime.UtcNow;
        if (now - _lastSweepUtc < ParticipantTimings.SweepInterval)
        {
            return;
        }

        _lastSweepUtc = now;
        foreach (var (transactionId, tentative) in _tentative.ToList())
        {
            if (now - tentative.LastTouchedUtc > _options.AbandonedTransactionTimeout)
            {
                _tentative.Remove(transactionId);
            }
        }
    }

    /// <summary>
    /// The durable record as of now: the newest version and the prepared write, if any; and the
    /// older versions that snapshots may still read, when <paramref name="withHistory"/> (the
    /// activation is stopping).
    /// </summary>
    private byte[] Capture(bool withHistory)
    {
        var slot = new DurableSlot<TState>();
        if (_prepared is { CommitsWhenDurable: true } commit)
        {
            slot.CommitTimestamp = commit.CommitTimestamp;
            slot.Value = commit.Value;
        }
        else
        {
            slot.CommitTimestamp = _chain.Newest.CommitTimestamp;
            slot.Value = _chain.Newest.Value;
            if (_prepared is { } prepared)
            {
                slot.Prepared = new PreparedRecord<TState>
                {
                    TransactionId = prepared.TransactionId,
                    CommitTimestamp = prepared.CommitTimestamp,
                    Value = prepared.Value,
                    PreparedAtUtc = prepared.PreparedAtUtc,
                };
            }
        }

        return withHistory
            ? StoredHistory.Serialize(slot, _chain.HistoryBefore(slot.CommitTimestamp, _timestamps.Horizon), static (s, history) => s.History = history, _serializer.SerializeToArray)
            : _serializer.SerializeToArray(slot);
    }

    private TransactionConflictException Conflict(string transactionId, string reason) =>
        new(transactionId, $"Transaction {transactionId} conflicts at {Describe}: {reason}.");

    [LoggerMessage(Level = LogLevel.Information, Message = "{State}: recovered prepared transaction {TransactionId} at {CommitTimestamp}")]
    private static partial void LogRecoveredPrepared(ILogger logger, string state, Guid transactionId, long commitTimestamp);
}
