using System.Diagnostics.Metrics;

namespace Roundabout.Silo.Persistence.GroupCommit;

/// <summary>
/// The store's instruments, on the meter <c>Roundabout.Storage</c>, for OpenTelemetry or
/// <c>dotnet-counters</c>: requests per flush, flush bytes, fsync latency, queue depth.
/// </summary>
public sealed class StorageMetrics : IDisposable
{
    public const string MeterName = "Roundabout.Storage";

    private readonly Meter _meter;
    private readonly Histogram<int> _batchRequests;
    private readonly Counter<long> _bytes;
    private readonly Counter<long> _flushes;
    private readonly Histogram<double> _fsyncMilliseconds;

    public StorageMetrics(IMeterFactory? meterFactory)
    {
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _batchRequests = _meter.CreateHistogram<int>("roundabout.storage.flush.batches", unit: "{batch}", description: "Write batches made durable by one flush (group commit size).");
        _bytes = _meter.CreateCounter<long>("roundabout.storage.bytes", unit: "By", description: "Bytes appended to the log.");
        _flushes = _meter.CreateCounter<long>("roundabout.storage.flushes", unit: "{flush}", description: "Flushes (each one fsync).");
        _fsyncMilliseconds = _meter.CreateHistogram<double>("roundabout.storage.fsync.duration", unit: "ms", description: "Time one fdatasync took.");
    }

    public void ObserveQueueDepth(Func<int> depth) =>
        _meter.CreateObservableGauge("roundabout.storage.queue.depth", depth, unit: "{batch}", description: "Write batches waiting for the writer loop.");

    internal void RecordFlush(int batches, int bytes, TimeSpan fsync)
    {
        _batchRequests.Record(batches);
        _bytes.Add(bytes);
        _flushes.Add(1);
        _fsyncMilliseconds.Record(fsync.TotalMilliseconds);
    }

    public void Dispose() => _meter.Dispose();
}
