using System.Diagnostics.Metrics;
using Roundabout.Silo.Persistence.GroupCommit;
using Roundabout.Storage;

namespace Roundabout.Tests.Storage;

/// <summary>
/// The queue-depth gauge counts the write batches waiting for the writer loop, read as a metrics
/// exporter reads it (a <see cref="MeterListener"/>), on a meter of the test's own so that other
/// stores running meanwhile are not counted.
/// </summary>
public sealed class QueueDepthGaugeTests
{
    private const int QueuedBehindTheFailure = 3;

    [Fact]
    public async Task QueueDepth_FlushFailsWithWritesQueuedBehindIt_DropsToZero()
    {
        using var directory = new TempDataDirectory();
        var files = new FaultInjectingLogFileSystem();
        using var meters = new OneMeterFactory();
        using var metrics = new StorageMetrics(meters);
        await using var store = StorageTestKit.Open(directory.Path, files, metrics: metrics);

        var failingFlush = files.SegmentAppendCalls + 1;
        var injected = new IOException("injected I/O error");
        files.HoldAppend(failingFlush);
        files.FailAppend(failingFlush, injected);
        var failing = store.WriteAsync(RecordWrite.Put("failing", StorageTestKit.Utf8("failing"), null));
        Assert.True(files.WaitUntilHeld(TimeSpan.FromSeconds(30)), "the writer never reached the held append");

        // The writer loop has taken the failing write; these wait in the queue behind it.
        var queued = Enumerable.Range(0, QueuedBehindTheFailure)
            .Select(i => store.WriteAsync(RecordWrite.Put($"queued-{i}", StorageTestKit.Utf8("queued"), null)))
            .ToList();
        Assert.Equal(QueuedBehindTheFailure, ReadQueueDepth(meters.Meter));

        files.ReleaseHold();
        Assert.Same(injected, await Record.ExceptionAsync(() => failing));
        foreach (var write in queued)
        {
            Assert.Same(injected, await Record.ExceptionAsync(() => write));
        }

        // The failure took them out of the queue: nothing waits for a writer loop that has stopped.
        Assert.Equal(0, ReadQueueDepth(meters.Meter));
    }

    private static int ReadQueueDepth(Meter meter)
    {
        int? depth = null;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter, meter) && instrument.Name == "roundabout.storage.queue.depth")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<int>((_, value, _, _) => depth = value);
        listener.Start();
        listener.RecordObservableInstruments();
        return depth ?? throw new InvalidOperationException("The store's meter publishes no queue-depth gauge.");
    }

    /// <summary>Makes the one meter a <see cref="StorageMetrics"/> asks for and keeps it, for the listener to tell it from the others.</summary>
    private sealed class OneMeterFactory : IMeterFactory
    {
        private Meter? _meter;

        public Meter Meter => _meter ?? throw new InvalidOperationException("No meter was made.");

        public Meter Create(MeterOptions options) => _meter = new Meter(options);

        public void Dispose() => _meter?.Dispose();
    }
}
