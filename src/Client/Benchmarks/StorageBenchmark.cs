using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Roundabout.Silo.Persistence.GroupCommit;
using Roundabout.Storage;

namespace Roundabout.Client.Benchmarks;

/// <summary>Concurrent writers of fixed-size records against the group-commit store on a real disk.</summary>
public static class StorageBenchmark
{
    public sealed record Result(int Writers, bool GroupCommit, long Records, long Flushes, TimeSpan Elapsed)
    {
        public double RecordsPerSecond => Records / Elapsed.TotalSeconds;

        public double FlushesPerSecond => Flushes / Elapsed.TotalSeconds;

        public double RecordsPerFlush => Flushes == 0 ? 0 : (double)Records / Flushes;
    }

    /// <param name="cancellationToken">Stops the writers within moments: no result then, but <see cref="OperationCanceledException"/>.</param>
    public static async Task<Result> RunAsync(string directory, int writers, bool groupCommit, int recordBytes, TimeSpan duration, CancellationToken cancellationToken)
    {
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }

        var options = Options.Create(new GroupCommitOptions { DataDirectory = directory, DisableGroupCommit = !groupCommit });
        var flushes = 0L;
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == StorageMetrics.MeterName && instrument.Name == "roundabout.storage.flushes")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref flushes, value));
        listener.Start();

        await using var store = new GroupCommitRecordStore(options, NullLogger<GroupCommitRecordStore>.Instance);
        var payload = new byte[recordBytes];
        Random.Shared.NextBytes(payload);
        var records = 0L;
        var stopwatch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, writers).Select(writer => Task.Run(async () =>
        {
            string? etag = null;
            var key = $"bench/{writer}";
            while (stopwatch.Elapsed < duration && !cancellationToken.IsCancellationRequested)
            {
                etag = await store.WriteAsync(RecordWrite.Put(key, payload, etag));
                Interlocked.Increment(ref records);
            }
        })));
        cancellationToken.ThrowIfCancellationRequested();
        var elapsed = stopwatch.Elapsed;
        listener.Dispose();
        return new Result(writers, groupCommit, records, Interlocked.Read(ref flushes), elapsed);
    }
}
