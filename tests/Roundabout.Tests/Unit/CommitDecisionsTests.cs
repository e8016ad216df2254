using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Roundabout.Silo.Persistence.Memory;
using Roundabout.Transactions;
using Roundabout.Transactions.Protocol;

namespace Roundabout.Tests.Unit;

public sealed class CommitDecisionsTests
{
    private readonly InMemoryRecordStore _store = new();

    /// <summary>How often a participant looks at a Committing record again.</summary>
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    private CommitDecisions Decisions(Roundabout.Storage.IRecordStore? store = null) =>
        new(store ?? _store, Options.Create(new RoundaboutTransactionOptions { PreparedResolutionTimeout = PollInterval }), NullLogger<CommitDecisions>.Instance);

    [Fact]
    public async Task Decide_FirstProposal_Wins()
    {
        var decisions = Decisions();
        var transaction = Guid.NewGuid();

        Assert.Equal(Decision.Commit, (await decisions.DecideAsync(transaction, Decision.Commit)).Decision);
        Assert.Equal(Decision.Commit, (await decisions.DecideAsync(transaction, Decision.Abort)).Decision);
    }

    [Fact]
    public async Task Decide_AbortFirst_CommitLearnsAbort()
    {
        var decisions = Decisions();
        var transaction = Guid.NewGuid();

        Assert.Equal(Decision.Abort, (await decisions.DecideAsync(transaction, Decision.Abort)).Decision);
        Assert.Equal(Decision.Abort, (await decisions.DecideAsync(transaction, Decision.Commit)).Decision);
    }

    [Fact]
    public async Task Decide_ConcurrentProposals_AllLearnTheSameDecision()
    {
        var decisions = Decisions();
        var transaction = Guid.NewGuid();

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 32).Select(i =>
            Task.Run(() => decisions.DecideAsync(transaction, i % 2 == 0 ? Decision.Commit : Decision.Abort))));

        Assert.Single(outcomes.Select(o => o.Decision).Distinct());
        Assert.Single(outcomes.Select(o => o.ETag).Distinct());
    }

    [Fact]
    public async Task Forget_RemovesTheRecordByDisposeAtTheLatest()
    {
        var decisions = Decisions();
        var transaction = Guid.NewGuid();
        var recorded = await decisions.DecideAsync(transaction, Decision.Commit);

        decisions.Forget(transaction, recorded);
        await decisions.DisposeAsync();

        Assert.Null(await _store.ReadAsync(CommitDecisions.KeyOf(transaction)));
    }

    [Fact]
    public async Task Forget_ManyWhileAWriteIsUnderWay_ShareTheNextWrites()
    {
        var gated = new GatedRecordStore(_store);
        var decisions = Decisions(gated);
        var transactions = Enumerable.Range(0, 1000).Select(_ => Guid.NewGuid()).ToArray();
        var recorded = await Task.WhenAll(transactions.Select(t => decisions.DecideAsync(t, Decision.Commit)));

        gated.Close();
        for (var i = 0; i < transactions.Length; i++)
        {
            decisions.Forget(transactions[i], recorded[i]);
        }

        await gated.WaitUntilAWriteIsHeldAsync();
        gated.Open();
        await decisions.DisposeAsync();

        Assert.Equal(0, _store.Count);
        // The held write took what was queued when it started; the rest waited for it and went in full batches.
        Assert.InRange(gated.WritesSinceClose, 2, 2 + (1000 / CommitDecisions.MaxRemovalsPerBatch));
    }

    /// <summary>Holds writes while closed, so that a test can see what queues up behind one.</summary>
    private sealed class GatedRecordStore(Roundabout.Storage.IRecordStore inner) : Roundabout.Storage.IRecordStore
    {
        private readonly TaskCompletionSource _held = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private TaskCompletionSource? _gate;
        private int _writesSinceClose;

        public int WritesSinceClose => Volatile.Read(ref _writesSinceClose);

        public void Close() => _gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Open() => _gate?.TrySetResult();

        public Task WaitUntilAWriteIsHeldAsync() => _held.Task.WaitAsync(TimeSpan.FromSeconds(10));

        public Task<Roundabout.Storage.StoredRecord?> ReadAsync(string key, CancellationToken cancellationToken = default) => inner.ReadAsync(key, cancellationToken);

        public async Task<IReadOnlyList<string?>> WriteAsync(IReadOnlyList<Roundabout.Storage.RecordWrite> writes, CancellationToken cancellationToken = default)
        {
            if (_gate is { } gate)
            {
                Interlocked.Increment(ref _writesSinceClose);
                _held.TrySetResult();
                await gate.Task;
            }

            return await inner.WriteAsync(writes, cancellationToken);
        }
    }

    [Fact]
    public async Task Forget_OneRecordChangedMeanwhile_RemovesTheOthers()
    {
        var decisions = Decisions();
        var kept = Guid.NewGuid();
        var removed = Guid.NewGuid();
        var keptRecord = await decisions.DecideAsync(kept, Decision.Commit);
        var removedRecord = await decisions.DecideAsync(removed, Decision.Commit);

        // Not something the protocol does: it stands for any record that is not as expected.
        await _store.WriteAsync([Roundabout.Storage.RecordWrite.Put(CommitDecisions.KeyOf(kept), new byte[] { (byte)Decision.Commit }, keptRecord.ETag)]);
        decisions.Forget(kept, keptRecord);
        decisions.Forget(removed, removedRecord);
        await decisions.DisposeAsync();

        Assert.NotNull(await _store.ReadAsync(CommitDecisions.KeyOf(kept)));
        Assert.Null(await _store.ReadAsync(CommitDecisions.KeyOf(removed)));
    }

    [Fact]
    public async Task ProposeAbort_NoRecord_RecordsAbort()
    {
        var decisions = Decisions();
        var transaction = Guid.NewGuid();

        Assert.Equal(Decision.Abort, await decisions.ProposeAbortAsync(transaction, () => true));
        Assert.Equal(Decision.Abort, (await decisions.DecideAsync(transaction, Decision.Commit)).Decision);
    }

    [Fact]
    public async Task ProposeAbort_WhileCommitting_WaitsAndLearnsTheCoordinatorsCommit()
    {
        var decisions = Decisions();
        var transaction = Guid.NewGuid();
        var committing = await decisions.BeginCommittingAsync(transaction, DateTime.UtcNow + TimeSpan.FromSeconds(30));
        Assert.Equal(Decision.Committing, committing.Decision);

        var proposal = decisions.ProposeAbortAsync(transaction, () => true);
        await Task.Delay(PollInterval * 3);
        Assert.False(proposal.IsCompleted, "a participant decided while the committer's operation was still running");

        Assert.Equal(Decision.Commit, (await decisions.FinishCommittingAsync(transaction, committing, Decision.Commit)).Decision);
        Assert.Equal(Decision.Commit, await proposal.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task ProposeAbort_CommittingRecordAbandoned_ReplacesItWithAbort_AndTheLateCoordinatorLearnsAbort()
    {
        var decisions = Decisions();
        var transaction = Guid.NewGuid();
        var abandonedAfter = TimeSpan.FromMilliseconds(300);
        var committing = await decisions.BeginCommittingAsync(transaction, DateTime.UtcNow + abandonedAfter);

        Assert.Equal(Decision.Abort, await decisions.ProposeAbortAsync(transaction, () => true).WaitAsync(TimeSpan.FromSeconds(10)));

        var early = committing.AbandonedAfterUtc!.Value - DateTime.UtcNow;
        Assert.True(early <= TimeSpan.FromMilliseconds(20), $"presumed abort {early} before the record was abandoned");
        Assert.Equal(Decision.Abort, (await decisions.FinishCommittingAsync(transaction, committing, Decision.Commit)).Decision);
    }

    [Fact]
    public async Task ProposeAbort_ParticipantDecidedWhileItWaited_ProposesNothingMore()
    {
        var decisions = Decisions();
        var transaction = Guid.NewGuid();
        var committing = await decisions.BeginCommittingAsync(transaction, DateTime.UtcNow + TimeSpan.FromSeconds(30));
        var prepared = true;

        var proposal = decisions.ProposeAbortAsync(transaction, () => Volatile.Read(ref prepared));
        // The coordinator's Commit reaches the participant, which installs; once every one has,
        // the coordinator removes the record. (The participant's wait outlasts all of it.)
        Volatile.Write(ref prepared, false);
        var commit = await decisions.FinishCommittingAsync(transaction, committing, Decision.Commit);
        await _store.WriteAsync([Roundabout.Storage.RecordWrite.Delete(CommitDecisions.KeyOf(transaction), commit.ETag)]);

        Assert.Null(await proposal.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Null(await _store.ReadAsync(CommitDecisions.KeyOf(transaction)));
    }

    [Fact]
    public async Task ProposeAbort_CommittingReplacedByAbortAndRemoved_WhileStillPrepared_LearnsAbort()
    {
        var decisions = Decisions();
        var transaction = Guid.NewGuid();
        var committing = await decisions.BeginCommittingAsync(transaction, DateTime.UtcNow + TimeSpan.FromSeconds(30));

        var proposal = decisions.ProposeAbortAsync(transaction, () => true);

        // The operation declined: the coordinator records Abort, and removes it once it has told the
        // participants, one of which never got the message.
        var abort = await decisions.FinishCommittingAsync(transaction, committing, Decision.Abort);
        await _store.WriteAsync([Roundabout.Storage.RecordWrite.Delete(CommitDecisions.KeyOf(transaction), abort.ETag)]);

        Assert.Equal(Decision.Abort, await proposal.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Null(await _store.ReadAsync(CommitDecisions.KeyOf(transaction)));
    }
}
