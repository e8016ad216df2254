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
/// Roundabout's commutative counter (<see cref="ITransactionalCounter"/>). Same protocol as
/// <see cref="RoundaboutTransactionalState{TState}"/> — snapshot reads, private writes, validation
/// at prepare, durable prepares, decision records — with one difference: additions commute, so
/// several may be prepared at once and they commit in any timestamp order.
/// </summary>
/// <remarks>
/// The rules, in addition to those of the general state:
/// 1. An addition does not require "no commit after the snapshot": it is not a read.
/// 2. Escrow: an addition prepares only if, whichever of the pending additions commit, every
///    version from its commit timestamp on stays within the tightest bounds any of them asked for
///    (worst case low: all pending subtractions commit and no pending addition does; high: the reverse).
/// 3. A read (or a failed TryAdd) is validated like any read: nothing committed in (rv, c) and no
///    pending addition below c.
/// 4. A snapshot at rv waits while any addition at or below rv is undecided. An addition waits only
///    when the undecided ones could change its answer (see <see cref="TryAddWithoutWaiting"/>).
/// 5. An addition still needs c above every snapshot that read the counter (maxReadTs).
/// </remarks>
internal sealed partial class RoundaboutTransactionalCounter : ITransactionalCounter, ITransactionParticipant
{
    private readonly Serializer<OrleansTransactionAbortedException> _abortSerializer;
    private readonly Serializer<DurableCounterSlot> _serializer;
    private readonly IRecordStore _store;
    private readonly ITimestampSource _timestamps;
    private readonly RoundaboutTransactionOptions _options;
    private readonly ParticipantId _participantId;
    private readonly SlotActivation<long> _slot;
    private readonly SlotWriter _writer;
    private readonly Dictionary<Guid, Pending> _tentative = [];
    private readonly Dictionary<Guid, Pending> _prepared = [];

    private VersionChain<long> _chain = new(0, 0);
    private readonly CounterEscrowMarks _escrowMarks = new();
    private readonly Action<CommittedVersion<long>, CommittedVersion<long>> _versionDropped;
    private long _maxReadTimestamp;
    private bool _loaded;
    private DateTime _lastSweepUtc = DateTime.UtcNow;
    private TaskCompletionSource _decided = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public RoundaboutTransactionalCounter(
        TransactionalStateConfiguration config,
        IGrainContext context,
        Serializer<DurableCounterSlot> serializer,
        Serializer<OrleansTransactionAbortedException> abortSerializer,
        IRecordStore store,
        ITimestampSource timestamps,
        CommitDecisions decisions,
        IOptions<RoundaboutTransactionOptions> options,
        ILogger<RoundaboutTransactionalCounter> logger)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(config.StateName);
        _serializer = serializer;
        _abortSerializer = abortSerializer;
        _store = store;
        _timestamps = timestamps;
        _options = options.Value;
        _participantId = new ParticipantId(config.StateName, context.GrainReference, ParticipantId.Role.Resource | ParticipantId.Role.Manager);
        _slot = new SlotActivation<long>(context, config, "counter", store, decisions, timestamps, this, Capture, () => _loaded ? _chain : null, logger);
        _writer = _slot.Writer;
        _versionDropped = _escrowMarks.Dropped; // one delegate, not one per install
        _slot.LoadAtActivation<RoundaboutTransactionalCounter>(LoadAsync);
    }

    private string Describe => _slot.Describe;

    /// <summary>An operation failed here: the transaction must not commit without it, even if the grain catches the exception (see the state's Doom).</summary>
    private void Doom(TransactionInfo info, Exception exception) => info.RecordException(exception, _abortSerializer);

    internal int RetainedVersionCount => _chain.Count;

    /// <summary>How many kept versions carry escrow marks (tests: the marks must not outgrow the chain).</summary>
    internal int EscrowMarkCount => _escrowMarks.Count;

    public async Task<long> Read()
    {
        var info = AmbientTransaction.GetRequired();
        var stamp = TransactionStamp.Of(info);
        long value;
        try
        {
            _slot.ThrowIfStorageFailed(info);
            value = await ReadCommittedAsync(info, stamp.ReadTimestamp);
        }
        catch (Exception exception)
        {
            Doom(info, exception);
            throw;
        }

        info.RecordRead(_participantId, info.TimeStamp);
        if (info.IsReadOnly)
        {
            return value; // it can add nothing, so there is nothing to remember about it here
        }

        // Remember the read: if the transaction adds here later, its prepare must validate it.
        SweepAbandoned();
        var own = Tentative(info.TransactionId);
        own.Read = true;
        own.Touched = DateTime.UtcNow;
        return value + own.Delta;
    }

    public async Task<CounterAddResult> TryAdd(long delta, long floor = long.MinValue, long ceiling = long.MaxValue)
    {
        if (floor > ceiling)
        {
            throw new ArgumentException($"The floor {floor} is above the ceiling {ceiling}.", nameof(floor));
        }

        var info = AmbientTransaction.GetRequired();
        if (info.IsReadOnly)
        {
            throw new OrleansReadOnlyViolatedException(info.Id);
        }

        var stamp = TransactionStamp.Of(info);
        long snapshot;
        try
        {
            _slot.ThrowIfStorageFailed(info);
            if (TryAddWithoutWaiting(info, stamp, delta, floor, ceiling) is { } added)
            {
                return added;
            }

            snapshot = await ReadCommittedAsync(info, stamp.ReadTimestamp);
        }
        catch (Exception exception)
        {
            Doom(info, exception);
            throw;
        }

        SweepAbandoned();
        var own = Tentative(info.TransactionId);
        var current = snapshot + own.Delta;
        if (!StaysWithin(current, delta, floor, ceiling))
        {
            // The refusal depends on the value, so it is a read, validated at commit like any.
            own.Read = true;
            info.RecordRead(_participantId, info.TimeStamp);
            return new CounterAddResult(false, current);
        }

        AddTentatively(info, own, delta, floor, ceiling);
        return new CounterAddResult(true, SnapshotValue: null);
    }

    /// <summary>
    /// Adds without waiting for the additions at or below the snapshot that are still undecided,
    /// when they cannot make the answer "no": even if every pending subtraction (for a
    /// subtraction; every pending addition for an addition) commits and none of the others does,
    /// the result stays within the bounds. A hot counter's grain is then not held up while
    /// decisions are on their way. Otherwise (or when the snapshot's version is no longer kept)
    /// returns null, and the caller waits for the exact value.
    /// </summary>
    /// <remarks>
    /// This only decides whether to try. An addition is not a read and reports no value; whether
    /// it keeps the bounds is decided at its commit timestamp by the escrow check at prepare, which
    /// also sees additions that prepare later with a timestamp below this snapshot (those would
    /// have conflicted with a read; here they can make this addition conflict instead).
    /// </remarks>
    private CounterAddResult? TryAddWithoutWaiting(TransactionInfo info, TransactionStamp stamp, long delta, long floor, long ceiling)
    {
        if (delta == 0 || !_chain.TryGetVisible(stamp.ReadTimestamp, out var visible))
        {
            return null;
        }

        // Int128: the worst cases of many pending additions may leave the range of a long.
        Int128 lowest = visible.Value, highest = visible.Value;
        foreach (var pending in _prepared.Values)
        {
            if (pending.CommitTimestamp <= stamp.ReadTimestamp)
            {
                if (pending.Delta < 0)
                {
                    lowest += pending.Delta;
                }
                else
                {
                    highest += pending.Delta;
                }
            }
        }

        _tentative.TryGetValue(info.TransactionId, out var existing);
        var ownDelta = existing?.Delta ?? 0;
        var worstCase = delta < 0 ? lowest + ownDelta : highest + ownDelta;
        if (!StaysWithin(worstCase, delta, floor, ceiling))
        {
            return null;
        }

        SweepAbandoned();
        AddTentatively(info, Tentative(info.TransactionId), delta, floor, ceiling);
        return new CounterAddResult(true, SnapshotValue: null);
    }

    /// <summary>
    /// Whether <paramref name="value"/> plus <paramref name="delta"/> stays within the bound that
    /// the addition's direction can cross. In 128 bits: near the ends of a long, a bound minus the
    /// addition wraps around, and an addition far past its floor looked allowed.
    /// </summary>
    private static bool StaysWithin(Int128 value, long delta, long floor, long ceiling) =>
        delta < 0 ? value + delta >= floor : value + delta <= ceiling;

    private Pending Tentative(Guid transactionId)
    {
        if (!_tentative.TryGetValue(transactionId, out var own))
        {
            _tentative[transactionId] = own = new Pending();
        }

        return own;
    }

    private void AddTentatively(TransactionInfo info, Pending own, long delta, long floor, long ceiling)
    {
        own.Delta = checked(own.Delta + delta);
        // A bound is the one the addition's direction can cross (see StaysWithin), and it holds
        // where that addition leaves the running sum: each one's needs the value before the
        // transaction at (floor - sum) or more, or at (ceiling - sum) or less.
        if (delta < 0)
        {
            own.Floor = Math.Max(own.Floor, floor);
            own.Lowest = Math.Min(own.Lowest ?? long.MaxValue, own.Delta);
            if (floor != long.MinValue)
            {
                own.StartAtLeast = Int128.Max(own.StartAtLeast ?? Int128.MinValue, (Int128)floor - own.Delta);
            }
        }
        else
        {
            own.Ceiling = Math.Min(own.Ceiling, ceiling);
            own.Highest = Math.Max(own.Highest ?? long.MinValue, own.Delta);
            if (ceiling != long.MaxValue)
            {
                own.StartAtMost = Int128.Min(own.StartAtMost ?? Int128.MaxValue, (Int128)ceiling - own.Delta);
            }
        }

        own.Touched = DateTime.UtcNow;
        own.Writes++;
        info.RecordWrite(_participantId, info.TimeStamp);
    }

    public Task<Vote> Prepare(PrepareRequest request) => PrepareCoreAsync(request, commitsWhenDurable: false);

    public Task<Vote> PrepareAndCommit(PrepareRequest request) => PrepareCoreAsync(request, commitsWhenDurable: true);

    public async Task Commit(Guid transactionId, long commitTimestamp, Guid? decisionOrdering = null)
    {
        if (!_prepared.TryGetValue(transactionId, out var prepared) || prepared.CommitsWhenDurable)
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

        Install(transactionId, prepared);

        // Not quietly: if the install is not durable, the coordinator must keep the decision record,
        // which is what the prepared addition settles from when the slot reloads.
        await _writer.WriteBeforeAsync(decisionOrdering);
    }

    public async Task Abort(Guid transactionId)
    {
        _tentative.Remove(transactionId);
        if (_prepared.TryGetValue(transactionId, out var prepared) && !prepared.CommitsWhenDurable)
        {
            _prepared.Remove(transactionId);
            SignalDecided();
            await _writer.WriteQuietlyAsync();
        }
    }

    public Task<bool> WaitForCommitAfter(long timestamp, TimeSpan timeout) =>
        _slot.WaitForCommitAfter(timestamp, timeout, () => _chain.Newest.CommitTimestamp, () => _decided.Task);

    private async Task<Vote> PrepareCoreAsync(PrepareRequest request, bool commitsWhenDurable)
    {
        if (_writer.Failure is not null || !_loaded)
        {
            return new Vote(VoteKind.Lost, $"{Describe} is being reloaded from storage");
        }

        if (!request.Wrote)
        {
            return ValidateRead(request);
        }

        if (!_tentative.Remove(request.TransactionId, out var own))
        {
            return new Vote(VoteKind.Lost, $"{Describe} no longer holds the transaction's additions (the grain was reactivated or the transaction was abandoned)");
        }

        if (own.Writes != request.Writes)
        {
            // Some were dropped (swept as abandoned, or held by an earlier activation) and a later
            // call started afresh: committing what is left would commit part of the transaction.
            return new Vote(VoteKind.Lost, $"{Describe} holds {own.Writes} of the transaction's {request.Writes} additions (the others were dropped when the grain was reactivated or the transaction looked abandoned)");
        }

        // The transaction's own record of its reads counts too: this entry may have been made afresh
        // by an addition after the one that remembered the read was dropped (see PrepareRequest.Read).
        own.Read |= request.Read;
        if (request.CommitTimestamp <= _maxReadTimestamp)
        {
            return new Vote(VoteKind.Conflict, $"{Describe}: a snapshot at {_maxReadTimestamp} already read the value this transaction would change at {request.CommitTimestamp}");
        }

        // A transaction that read the value and adds to it is validated like a reader at every
        // isolation level: under Snapshot this is first committer wins on the one slot it wrote
        // (an addition that commits in (rv, c) is a concurrent write), so a "read, then withdraw"
        // has no lost update. Additions that read nothing still commute at both levels.
        if (own.Read && ReadConflict(request) is { } readConflict)
        {
            return new Vote(VoteKind.Conflict, readConflict);
        }

        if (EscrowConflict(request.CommitTimestamp, own) is { } escrow)
        {
            return new Vote(VoteKind.Conflict, escrow);
        }

        if (own.Read)
        {
            // The read holds up to c, as a reader's does (ValidateRead): additions commute, so
            // without this an addition that prepares later at a timestamp in (rv, c) would slip in
            // under this transaction's read, and two "read, then withdraw" transactions could both
            // commit on the same balance. Raised before the write's await: other parts interleave there.
            _maxReadTimestamp = Math.Max(_maxReadTimestamp, request.CommitTimestamp);
        }

        own.CommitTimestamp = request.CommitTimestamp;
        own.CommitsWhenDurable = commitsWhenDurable;
        own.Touched = DateTime.UtcNow;
        _prepared[request.TransactionId] = own;
        try
        {
            // A single writer's write is the commit itself: it must be durable before the answer.
            await (commitsWhenDurable ? _writer.WriteAsync() : _writer.WriteBeforeAsync(request.DecisionOrdering));
        }
        catch (Exception exception)
        {
            return Vote.OfFailedWrite(exception, $"{Describe} could not make its {(commitsWhenDurable ? "commit" : "prepare")} durable: {exception.Message}");
        }

        if (commitsWhenDurable)
        {
            Install(request.TransactionId, own);
        }

        return Vote.Yes;
    }

    private Vote ValidateRead(PrepareRequest request)
    {
        _tentative.Remove(request.TransactionId);
        if (request.Isolation == IsolationLevel.Snapshot)
        {
            return Vote.Yes;
        }

        if (ReadConflict(request) is { } conflict)
        {
            return new Vote(VoteKind.Conflict, conflict);
        }

        _maxReadTimestamp = Math.Max(_maxReadTimestamp, request.CommitTimestamp);
        return Vote.Yes;
    }

    private string? ReadConflict(PrepareRequest request)
    {
        foreach (var (transactionId, other) in _prepared)
        {
            if (transactionId != request.TransactionId && other.CommitTimestamp < request.CommitTimestamp)
            {
                return $"{Describe}: an addition at {other.CommitTimestamp} may commit between this transaction's snapshot and its commit";
            }
        }

        return _chain.MayHaveCommitBetween(request.ReadTimestamp, request.CommitTimestamp)
            ? $"{Describe}: it changed after this transaction read it at {request.ReadTimestamp}"
            : null;
    }

    /// <summary>
    /// Escrow: the transaction's own bounds, and those of every pending addition, must hold for
    /// every version from the commit timestamp on in the worst case of the pending additions; and
    /// each addition already installed above that timestamp must still keep its bound at its own
    /// version (see <see cref="CounterEscrowMarks"/>).
    /// </summary>
    private string? EscrowConflict(long commitTimestamp, Pending own)
    {
        // Int128: with several large additions pending, the worst case leaves the range of a long,
        // and a sum that wrapped round would pass the check (the commit would then overflow).
        Int128 pendingDown = 0, pendingUp = 0;
        var floor = long.MinValue;
        var ceiling = long.MaxValue;
        foreach (var other in _prepared.Values)
        {
            // Each at the lowest (highest) point its own additions pass through: a pending
            // "withdraw 10, then deposit 20" still needs its 10 where it commits.
            pendingDown += Math.Min(0, Math.Min(other.Delta, other.Lowest ?? 0));
            pendingUp += Math.Max(0, Math.Max(other.Delta, other.Highest ?? 0));
            floor = Math.Max(floor, other.Floor);
            ceiling = Math.Min(ceiling, other.Ceiling);
        }

        var range = _escrowMarks.RangeFrom(_chain, commitTimestamp);
        var worstLow = range.Low + pendingDown + Math.Min(own.Delta, 0);
        var worstHigh = range.High + pendingUp + Math.Max(own.Delta, 0);
        if (worstLow < long.MinValue || worstHigh > long.MaxValue)
        {
            return $"{Describe}: {(own.Delta < 0 ? "subtracting" : "adding")} {Int128.Abs(own.Delta)} could overflow the counter if the pending additions commit";
        }

        if (own.StartAtLeast is { } atLeast && range.Low + pendingDown < atLeast)
        {
            return $"{Describe}: its subtractions need it at {atLeast} or more before them, and it could be {range.Low + pendingDown} if the pending subtractions commit";
        }

        if (own.StartAtMost is { } atMost && range.High + pendingUp > atMost)
        {
            return $"{Describe}: its additions need it at {atMost} or less before them, and it could be {range.High + pendingUp} if the pending additions commit";
        }

        if (own.Delta < 0 && (worstLow < floor || range.RoomBelow + pendingDown + own.Delta < 0))
        {
            return $"{Describe}: subtracting {-own.Delta} at {commitTimestamp} could take it below the floor of a subtraction pending or committed after that (worst case {worstLow})";
        }

        if (own.Delta > 0 && (worstHigh > ceiling || range.RoomAbove - pendingUp - own.Delta < 0))
        {
            return $"{Describe}: adding {own.Delta} at {commitTimestamp} could take it above the ceiling of an addition pending or committed after that (worst case {worstHigh})";
        }

        return null;
    }

    private async Task<long> ReadCommittedAsync(TransactionInfo info, long readTimestamp)
    {
        while (_prepared.Values.Any(p => p.CommitTimestamp <= readTimestamp))
        {
            // After a storage failure a single writer's commit stays undecided here for good (only
            // a reload knows its outcome), and Orleans does not finish deactivating while this waits.
            _slot.ThrowIfStorageFailed(info);
            if (!await _slot.WaitForOutcomeAsync(_decided.Task, _options.PreparedResolutionTimeout, info, $"an addition prepared at or below {readTimestamp}"))
            {
                ResolveStale();
            }
        }

        if (!_chain.TryGetVisible(readTimestamp, out var version))
        {
            throw new SnapshotTooOldException(info.Id, $"{Describe} no longer keeps the value that snapshot {readTimestamp} sees (oldest kept: {_chain.Versions[0].CommitTimestamp}). Retry the transaction.");
        }

        _maxReadTimestamp = Math.Max(_maxReadTimestamp, readTimestamp);
        return version.Value;
    }

    private void Install(Guid transactionId, Pending prepared)
    {
        _prepared.Remove(transactionId);
        var delta = prepared.Delta;
        // As bounds on the version it makes, which holds the value before it plus its delta.
        var lowestFloor = prepared.StartAtLeast + delta;
        var highestCeiling = prepared.StartAtMost + delta;
        if (delta != 0 || lowestFloor is not null || highestCeiling is not null)
        {
            // A bounded addition that sums to 0 still makes a version: it carries the bounds.
            _chain.InsertCommuting(prepared.CommitTimestamp, value => checked(value + delta));
            _escrowMarks.Installed(_chain, prepared.CommitTimestamp, delta, lowestFloor, highestCeiling);
        }

        SignalDecided();
        _chain.Prune(_timestamps.Horizon, _versionDropped);
        _escrowMarks.ForgetUpTo(_maxReadTimestamp);
    }

    private void SweepAbandoned()
    {
        var now = DateTime.UtcNow;
        if (now - _lastSweepUtc < ParticipantTimings.SweepInterval)
        {
            return;
        }

        _lastSweepUtc = now;
        foreach (var (transactionId, pending) in _tentative.ToList())
        {
            if (now - pending.Touched > _options.AbandonedTransactionTimeout)
            {
                _tentative.Remove(transactionId);
            }
        }
    }

    private void SignalDecided() =>
        Interlocked.Exchange(ref _decided, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    /// <summary>Liveness only: additions prepared for too long propose Abort in their decision records.</summary>
    private void ResolveStale()
    {
        var now = DateTime.UtcNow;
        foreach (var (transactionId, prepared) in _prepared.ToList())
        {
            if (!prepared.CommitsWhenDurable && now - prepared.Touched >= _options.PreparedResolutionTimeout)
            {
                _ = SettleAsync(transactionId, prepared);
            }
        }
    }

    private Task SettleAsync(Guid transactionId, Pending prepared) =>
        _slot.SettleAsync(
            transactionId,
            prepared,
            stillPrepared: () => _prepared.TryGetValue(transactionId, out var still) && ReferenceEquals(still, prepared),
            apply: decision => decision == Decision.Commit ? Commit(transactionId, prepared.CommitTimestamp) : Abort(transactionId));

    private async Task LoadAsync(CancellationToken cancellationToken)
    {
        var record = await _store.ReadAsync(_writer.Key, cancellationToken);
        if (record is not null)
        {
            var slot = _serializer.Deserialize(record.Value) ?? throw new InvalidOperationException($"Storage record {_writer.Key} is empty.");
            _writer.ETag = record.ETag;
            _chain = _slot.Resume(slot.History, slot.CommitTimestamp, slot.Value);
            _escrowMarks.Clear(); // nothing commits below the fresh maxReadTs taken below
            foreach (var stored in slot.Prepared)
            {
                _prepared[stored.TransactionId] = new Pending()
                {
                    CommitTimestamp = stored.CommitTimestamp,
                    Delta = stored.Delta,
                    Floor = stored.Floor,
                    Ceiling = stored.Ceiling,
                    // The order of its additions is not stored: taken as one addition of their sum.
                    Lowest = stored.Delta < 0 ? stored.Delta : null,
                    Highest = stored.Delta > 0 ? stored.Delta : null,
                    StartAtLeast = stored.Delta < 0 && stored.Floor != long.MinValue ? (Int128)stored.Floor - stored.Delta : null,
                    StartAtMost = stored.Delta > 0 && stored.Ceiling != long.MaxValue ? (Int128)stored.Ceiling - stored.Delta : null,
                    Touched = stored.PreparedAtUtc,
                };
            }
        }

        _maxReadTimestamp = await _timestamps.NextAsync();
        _loaded = true;
        if (_prepared.Count > 0)
        {
            _ = SettleRecoveredAsync([.. _prepared]);
        }
    }

    private async Task SettleRecoveredAsync(KeyValuePair<Guid, Pending>[] recovered)
    {
        // The coordinators may still be alive and about to decide: give the youngest its time.
        var youngest = recovered.Max(p => p.Value.Touched);
        var wait = _options.PreparedResolutionTimeout - (DateTime.UtcNow - youngest);
        if (wait > TimeSpan.Zero)
        {
            try
            {
                await Task.Delay(wait, _slot.Stopped);
            }
            catch (OperationCanceledException)
            {
                return; // see SlotActivation.StopAsync
            }
        }

        // Every recovered addition still pending, without asking the clock again (as ResolveStale
        // does): a timer may end a moment before the clock says the time-out has passed, and then
        // nothing settled them until a reader waited out another time-out.
        foreach (var (transactionId, pending) in recovered)
        {
            if (_prepared.TryGetValue(transactionId, out var still) && ReferenceEquals(still, pending))
            {
                _ = SettleAsync(transactionId, pending);
            }
        }
    }

    /// <summary>
    /// The durable record as of now: the committed value and the pending additions; and the older
    /// values that snapshots may still read, when <paramref name="withHistory"/> (the activation is stopping).
    /// </summary>
    private byte[] Capture(bool withHistory)
    {
        var (slot, history) = RecordOf(_chain, _prepared, withHistory ? _timestamps.Horizon : null);
        return history is null
            ? _serializer.SerializeToArray(slot)
            : StoredHistory.Serialize(slot, history, static (s, versions) => s.History = versions, _serializer.SerializeToArray);
    }

    /// <summary>
    /// The record of a counter whose committed values are <paramref name="chain"/> and whose
    /// prepared additions are <paramref name="prepared"/>; with <paramref name="historyHorizon"/>,
    /// also the older values that snapshots may still read (see <see cref="VersionChain{T}.HistoryBefore"/>).
    /// </summary>
    internal static (DurableCounterSlot Slot, CommittedVersion<long>[]? History) RecordOf(
        VersionChain<long> chain, Dictionary<Guid, Pending> prepared, SnapshotHorizon? historyHorizon)
    {
        // Single-writer commits become durable as committed values; the others as pending additions.
        var committed = chain.Newest;
        var slot = new DurableCounterSlot { CommitTimestamp = committed.CommitTimestamp, Value = committed.Value };

        // The values from the first folded addition on are not the chain's: history stops there.
        var historyEnds = long.MaxValue;
        foreach (var (transactionId, pending) in prepared)
        {
            if (pending.CommitsWhenDurable)
            {
                slot.Value = checked(slot.Value + pending.Delta);
                slot.CommitTimestamp = Math.Max(slot.CommitTimestamp, pending.CommitTimestamp);
                historyEnds = Math.Min(historyEnds, pending.CommitTimestamp);
                continue;
            }

            slot.Prepared.Add(new PreparedDeltaRecord
            {
                TransactionId = transactionId,
                CommitTimestamp = pending.CommitTimestamp,
                Delta = pending.Delta,
                Floor = pending.Floor,
                Ceiling = pending.Ceiling,
                PreparedAtUtc = pending.Touched,
            });
        }

        var history = historyHorizon is { } horizon ? chain.HistoryBefore(Math.Min(historyEnds, slot.CommitTimestamp), horizon) : null;
        return (slot, history);
    }

    /// <summary>A transaction's additions here: tentative until prepared, then pending until decided.</summary>
    internal sealed class Pending : ISettleable
    {
        public long Delta { get; set; }

        public long Floor { get; set; } = long.MinValue;

        public long Ceiling { get; set; } = long.MaxValue;

        /// <summary>
        /// The lowest of the transaction's running sums here right after one of its subtractions,
        /// in the order it made them: how far down it may take the value on the way to its sum, as
        /// other additions must count it while it is pending. Null when it subtracted nothing.
        /// </summary>
        public long? Lowest { get; set; }

        /// <summary>Likewise the highest running sum right after one of its additions.</summary>
        public long? Highest { get; set; }

        /// <summary>
        /// The least the value before this transaction must be for each of its subtractions to keep
        /// its own floor where it leaves the sum (withdraw 10 with floor 0, then a fee of 10 with
        /// floor -100: at least 10). Null when none has a floor.
        /// </summary>
        public Int128? StartAtLeast { get; set; }

        /// <summary>Likewise the most it may be for each of its additions to keep its own ceiling.</summary>
        public Int128? StartAtMost { get; set; }

        public bool Read { get; set; }

        /// <summary>How many additions made <see cref="Delta"/>: prepare checks it against the transaction's own count.</summary>
        public int Writes { get; set; }

        public long CommitTimestamp { get; set; }

        public bool CommitsWhenDurable { get; set; }

        public DateTime Touched { get; set; } = DateTime.UtcNow;

        public bool Settling { get; set; }
    }
}
