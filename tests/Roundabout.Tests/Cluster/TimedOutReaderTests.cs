using Roundabout.Storage;
using Roundabout.Tests.Infrastructure;
using Roundabout.Tests.TestGrains;
using Roundabout.Transactions.Protocol;

namespace Roundabout.Tests.Cluster;

/// <summary>
/// A reader whose wait for a prepared write timed out settles that write from the decision record,
/// but only if it is still the write prepared there: by the time the reader looks again, the
/// coordinator may have decided it, and another transaction may have prepared a new one. Settling
/// the old one then would propose Abort for a transaction that already committed; once its
/// coordinator has removed the decision, that proposal wins, and an Abort decision stays behind
/// for a committed transaction.
/// </summary>
public sealed class TimedOutReaderTests() : WrappedStoreClusterTest<TimedOutReaderTests.GatedRecordStore>(
    inner => new GatedRecordStore(inner),
    options => options.PreparedResolutionTimeout = TimeSpan.FromSeconds(1))
{
    private static readonly TimeSpan Prompt = TimeSpan.FromSeconds(30);

    protected override void BeforeStop() => Store.OpenAll();

    [Fact]
    public async Task StalePreparedWrite_DecidedAndReplacedWhileTheReaderWasHeld_TheReaderLeavesBothAlone()
    {
        var (x, y) = (Cluster.Grains.GetGrain<ITallyGrain>(Keys.New("tally")), Cluster.Grains.GetGrain<ITallyGrain>(Keys.New("tally")));

        // The first transaction prepares +5 at x and y; its Commit decision waits at the store.
        var firstDecision = Store.Hold(DecisionWrites.IsCommit);
        var first = Cluster.TransactionClient.RunTransaction(TransactionOption.Create, async () =>
        {
            await x.Add(5);
            await y.Add(5);
        });
        var firstDecisionKey = await firstDecision.Reached.WaitAsync(Prompt);

        // A reader above it waits for its outcome, times out, and is held just before it looks again.
        await x.HoldReadersWhoseWaitTimesOut();
        var reading = x.GetTotal();
        await x.WaitForHeldReader().WaitAsync(Prompt);

        // Meanwhile the coordinator commits the first transaction and, once both installs are
        // durable, removes its decision; then a one-round transaction prepares +7 at x and y,
        // its own decision held back, so that its write is the one prepared at x.
        firstDecision.Open();
        await first.WaitAsync(Prompt);
        await WaitUntilAsync(() => Cluster.Store.KeysWithPrefix("roundabout/tx/").Count == 0);
        var secondDecision = Store.Hold(DecisionWrites.IsCommit);
        var second = Cluster.Transactions.RunOneRoundAsync(round => [x.AddInRound(round, 7), y.AddInRound(round, 7)]);
        await secondDecision.Reached.WaitAsync(Prompt);

        await x.ReleaseHeldReaders();
        Assert.Equal(5, await reading.WaitAsync(Prompt)); // the first transaction, below its snapshot; not the second, above it

        secondDecision.Open();
        await second.WaitAsync(Prompt);
        Assert.Equal(12, await x.GetTotal().WaitAsync(Prompt));
        Assert.Equal(12, await y.GetTotal().WaitAsync(Prompt));

        // The held reader proposed nothing for the first transaction: its decision is gone, not Abort.
        var leftBehind = await Cluster.Store.ReadAsync(firstDecisionKey);
        Assert.True(leftBehind is null, $"the committed first transaction has a decision record again: {(leftBehind is null ? "" : (Decision)leftBehind.Value.Span[0])}");
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Prompt;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"The condition did not hold within {Prompt}.");
            await Task.Delay(10);
        }
    }

    /// <summary>Holds chosen writes until the test opens their gate; each <see cref="Hold"/> is a gate of its own.</summary>
    public sealed class GatedRecordStore(IRecordStore inner) : IRecordStore
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<WriteGate> _gates = new();

        /// <summary>From now until the gate opens, every batch with a write that <paramref name="holds"/> chooses waits.</summary>
        public WriteGate Hold(Func<RecordWrite, bool> holds)
        {
            var gate = new WriteGate(holds);
            _gates.Enqueue(gate);
            return gate;
        }

        public void OpenAll()
        {
            foreach (var gate in _gates)
            {
                gate.Open();
            }
        }

        public Task<StoredRecord?> ReadAsync(string key, CancellationToken cancellationToken = default) => inner.ReadAsync(key, cancellationToken);

        public async Task<IReadOnlyList<string?>> WriteAsync(IReadOnlyList<RecordWrite> writes, CancellationToken cancellationToken = default)
        {
            foreach (var gate in _gates)
            {
                await gate.PassAsync(writes, cancellationToken);
            }

            return await inner.WriteAsync(writes, cancellationToken);
        }
    }

    public sealed class WriteGate(Func<RecordWrite, bool> holds)
    {
        private readonly TaskCompletionSource<string> _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _opened = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Completes with the key of the first write held here.</summary>
        public Task<string> Reached => _reached.Task;

        public void Open() => _opened.TrySetResult();

        internal Task PassAsync(IReadOnlyList<RecordWrite> writes, CancellationToken cancellationToken)
        {
            if (_opened.Task.IsCompleted || writes.FirstOrDefault(holds) is not { } held)
            {
                return Task.CompletedTask;
            }

            _reached.TrySetResult(held.Key);
            return _opened.Task.WaitAsync(cancellationToken);
        }
    }
}
