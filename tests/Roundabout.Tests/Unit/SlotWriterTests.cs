using Roundabout.State;
using Roundabout.Tests.Infrastructure;

namespace Roundabout.Tests.Unit;

/// <summary>
/// A slot's prepare or install may be answered once its write is accepted, but only when the write
/// that must not outlive it (the decision record, its removal) goes to a store with the same order.
/// Each test runs against a store that fixes ETags only when a write is durable and against one
/// that fixes them on acceptance, as the log does (the writer then waits for nothing itself).
/// </summary>
public sealed class SlotWriterTests
{
    private static readonly Guid Domain = Guid.NewGuid();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task WriteBefore_SameOrderingDomain_CompletesOnceAcceptedAndBeforeDurable(bool acceptsAtOnce)
    {
        var store = new ManualDurabilityRecordStore(Domain, acceptsAtOnce);
        var failures = new List<Exception>();
        var writer = new SlotWriter(store, "slot", () => [1], failures.Add);

        var accepted = writer.WriteBeforeAsync(Domain);

        Assert.True(accepted.IsCompletedSuccessfully, "the write was accepted, so the answer need not wait for the disk");
        Assert.False(writer.LastWriteAsync().IsCompleted, "the write is not durable yet");
        store.MakeDurable();
        await writer.LastWriteAsync();
        Assert.Empty(failures);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public async Task WriteBefore_StoreWithoutThatOrder_WaitsUntilDurable(bool storeHasAnOrder, bool acceptsAtOnce)
    {
        var store = new ManualDurabilityRecordStore(storeHasAnOrder ? Guid.NewGuid() : null, acceptsAtOnce);
        var writer = new SlotWriter(store, "slot", () => [1], _ => { });

        var answered = writer.WriteBeforeAsync(Domain);
        var unordered = writer.WriteBeforeAsync(null);

        Assert.False(answered.IsCompleted, "a write to another order must be durable before the later write may go");
        Assert.False(unordered.IsCompleted);
        await DrainAsync(store, Task.WhenAll(answered, unordered));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task WriteBefore_QueuedBehindAWriteInFlight_CompletesWhenItsOwnWriteIsAccepted(bool acceptsAtOnce)
    {
        var store = new ManualDurabilityRecordStore(Domain, acceptsAtOnce);
        var capturedValues = 0;
        var writer = new SlotWriter(store, "slot", () => [(byte)++capturedValues], _ => { });
        var first = writer.WriteAsync();

        var second = writer.WriteBeforeAsync(Domain);

        Assert.False(second.IsCompleted, "its state is not in any accepted write yet");
        store.MakeDurable(); // the first write: the second one is captured and accepted after it
        await first;
        await second.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(2, capturedValues);
        Assert.Equal(1, store.PendingCount);
        store.MakeDurable(); // the second write named the first one's ETag
        await writer.LastWriteAsync();
        Assert.Equal(new byte[] { 2 }, (await store.ReadAsync("slot"))!.Value.ToArray());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Stop_AWriteQueuedBehindOneInFlight_IsRefusedAndNeverReachesTheStore(bool acceptsAtOnce)
    {
        var store = new ManualDurabilityRecordStore(Domain, acceptsAtOnce);
        var capturedValues = 0;
        var failures = new List<Exception>();
        var writer = new SlotWriter(store, "slot", () => [(byte)++capturedValues], failures.Add);
        var first = writer.WriteAsync();
        var queued = writer.WriteAsync(); // a settle's write, say, behind the first

        writer.Stop(); // the activation stops; the next one will load what the first write left
        store.MakeDurable();
        await first;

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => queued.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Contains("stopped", refused.Message);
        Assert.Equal(1, capturedValues);
        Assert.Equal(0, store.PendingCount);
        Assert.Equal(new byte[] { 1 }, (await store.ReadAsync("slot"))!.Value.ToArray());
        Assert.Empty(failures); // not a storage failure: nothing to reload for
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task WriteBefore_FailsAfterAcceptance_TheSlotIsToldAndLaterWritesFail(bool acceptsAtOnce)
    {
        var store = new ManualDurabilityRecordStore(Domain, acceptsAtOnce);
        var failures = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
        var writer = new SlotWriter(store, "slot", () => [1], failures.Enqueue);
        await writer.WriteBeforeAsync(Domain);

        var failure = new IOException("injected");
        store.Fail(failure);

        await Assert.ThrowsAsync<IOException>(() => writer.LastWriteAsync()).WaitAsync(TimeSpan.FromSeconds(10));
        // Outside a grain the report may come just after the waiter hears (in a grain both run on
        // its scheduler, the report first).
        Assert.True(SpinWait.SpinUntil(() => !failures.IsEmpty, TimeSpan.FromSeconds(10)), "the slot was not told");
        Assert.Same(failure, Assert.Single(failures));
        Assert.Same(failure, writer.Failure);
        Assert.True(writer.Failed.IsCompleted, "waits that only a reload can end were not told");
        await Assert.ThrowsAsync<InvalidOperationException>(() => writer.WriteBeforeAsync(Domain));
    }

    [Fact]
    public async Task WriteBefore_StoreCancelsTheWrite_IsNotTakenAsAccepted()
    {
        var failures = new List<Exception>();
        var writer = new SlotWriter(new CancellingStore(Domain), "slot", () => [1], failures.Add);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => writer.WriteBeforeAsync(Domain));
        Assert.Single(failures);
    }

    [Fact]
    public async Task WriteBefore_StoreRefusesOnAcceptance_IsNotTakenAsAcceptedAndTheSlotIsTold()
    {
        var failures = new List<Exception>();
        var writer = new SlotWriter(new RefusingStore(Domain), "slot", () => [1], failures.Add);

        var refused = await Assert.ThrowsAsync<IOException>(() => writer.WriteBeforeAsync(Domain));

        Assert.Same(refused, Assert.Single(failures));
        await Assert.ThrowsAsync<InvalidOperationException>(() => writer.WriteAsync()); // no write after a failure
    }

    /// <summary>
    /// A slot that cannot serialise its state (an overflow, a serializer error) has nothing true to
    /// store: the write fails like a failed flush, so the slot is told and reloads, rather than
    /// the exception escaping from the middle of the writer's bookkeeping.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Write_CaptureThrows_FailsTheWriteAndTellsTheSlot(bool acceptsAtOnce)
    {
        var store = new ManualDurabilityRecordStore(Domain, acceptsAtOnce);
        var failures = new List<Exception>();
        var writer = new SlotWriter(store, "slot", () => throw new OverflowException("The value does not fit."), failures.Add);

        var write = writer.WriteBeforeAsync(Domain);

        await Assert.ThrowsAsync<OverflowException>(() => write);
        Assert.IsType<OverflowException>(Assert.Single(failures));
        await Assert.ThrowsAsync<InvalidOperationException>(() => writer.WriteAsync()); // no write after a failure
    }

    /// <summary>
    /// A write the log flushes while the writer is still looking at its task (another thread
    /// completes it) is a success. Seen once under load: the writer checked "completed
    /// successfully?" (not yet) and then "completed?" (yes, by then), and took the success for a
    /// failure, which deactivated a healthy account in the middle of a benchmark. Each round races
    /// the completion against the hand-over; a few thousand rounds catch the old check.
    /// </summary>
    [Fact]
    public async Task WriteAsync_DurableCompletesWhileTheWriterLooks_IsNotAFailure()
    {
        var store = new RacingStore(Domain);
        var completer = new Thread(store.CompleteEachWriteAsSoonAsItIsHandedOver) { IsBackground = true };
        completer.Start();
        try
        {
            for (var round = 0; round < 20_000; round++)
            {
                var failures = new List<Exception>();
                var writer = new SlotWriter(store, "slot", () => [1], failures.Add);
                await writer.WriteBeforeAsync(Domain); // accepted at once: no thread switch
                store.WaitUntilCompleted();
                Assert.True(failures.Count == 0, $"round {round}: a write that became durable was reported as failed: {failures.FirstOrDefault()}");
            }
        }
        finally
        {
            store.Stop();
        }
    }

    /// <summary>A store that fixes ETags on acceptance and whose flush (on another thread) completes each write as soon as it is handed over.</summary>
    private sealed class RacingStore(Guid orderingDomain) : Roundabout.Storage.IRecordStore
    {
        private volatile TaskCompletionSource<IReadOnlyList<string?>>? _handedOver;
        private volatile bool _stopped;

        public Guid? OrderingDomain { get; } = orderingDomain;

        public Task<Roundabout.Storage.StoredRecord?> ReadAsync(string key, CancellationToken cancellationToken = default) =>
            Task.FromResult<Roundabout.Storage.StoredRecord?>(null);

        public Task<IReadOnlyList<string?>> WriteAsync(IReadOnlyList<Roundabout.Storage.RecordWrite> writes, CancellationToken cancellationToken = default) =>
            throw new InvalidOperationException("Writes go through TryAccept.");

        public Roundabout.Storage.AcceptedWrites? TryAccept(IReadOnlyList<Roundabout.Storage.RecordWrite> writes)
        {
            // Synchronous continuations: the writer's own watch runs on the completing thread too.
            var durable = new TaskCompletionSource<IReadOnlyList<string?>>();
            _handedOver = durable;
            return new Roundabout.Storage.AcceptedWrites(["1"], durable.Task);
        }

        public void CompleteEachWriteAsSoonAsItIsHandedOver()
        {
            while (!_stopped)
            {
                if (_handedOver is { } durable)
                {
                    durable.TrySetResult(["1"]);
                }
            }
        }

        public void WaitUntilCompleted()
        {
            var spinner = new SpinWait();
            while (_handedOver is { Task.IsCompleted: false })
            {
                spinner.SpinOnce();
            }

            _handedOver = null;
        }

        public void Stop() => _stopped = true;
    }

    /// <summary>A store in the ordering domain that fixes ETags on acceptance and refuses every write there.</summary>
    private sealed class RefusingStore(Guid orderingDomain) : Roundabout.Storage.IRecordStore
    {
        public Guid? OrderingDomain { get; } = orderingDomain;

        public Task<Roundabout.Storage.StoredRecord?> ReadAsync(string key, CancellationToken cancellationToken = default) =>
            Task.FromResult<Roundabout.Storage.StoredRecord?>(null);

        public Task<IReadOnlyList<string?>> WriteAsync(IReadOnlyList<Roundabout.Storage.RecordWrite> writes, CancellationToken cancellationToken = default) =>
            throw new InvalidOperationException("Writes go through TryAccept.");

        public Roundabout.Storage.AcceptedWrites? TryAccept(IReadOnlyList<Roundabout.Storage.RecordWrite> writes) =>
            throw new IOException("The disk is full.");
    }

    /// <summary>A store in the ordering domain that cancels every write it is handed.</summary>
    private sealed class CancellingStore(Guid orderingDomain) : Roundabout.Storage.IRecordStore
    {
        public Guid? OrderingDomain { get; } = orderingDomain;

        public Task<Roundabout.Storage.StoredRecord?> ReadAsync(string key, CancellationToken cancellationToken = default) =>
            Task.FromResult<Roundabout.Storage.StoredRecord?>(null);

        public Task<IReadOnlyList<string?>> WriteAsync(IReadOnlyList<Roundabout.Storage.RecordWrite> writes, CancellationToken cancellationToken = default) =>
            Task.FromCanceled<IReadOnlyList<string?>>(new CancellationToken(canceled: true));
    }

    /// <summary>Makes writes durable until <paramref name="task"/> completes (each durable write may start the next one).</summary>
    private static async Task DrainAsync(ManualDurabilityRecordStore store, Task task)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!task.IsCompleted)
        {
            Assert.True(DateTime.UtcNow < deadline, "the writes did not finish");
            store.MakeDurable();
            await Task.Delay(10);
        }

        await task;
    }
}
