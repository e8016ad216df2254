using HdrHistogram;

namespace Roundabout.Client.Workload;

/// <summary>
/// Latencies of a load run, in an HdrHistogram (microseconds, three significant digits) rather
/// than a list of every sample: a run of hours keeps the same few hundred kilobytes, where the
/// list grew by every transfer. Any thread records; one reader at a time takes summaries.
/// </summary>
public sealed class LatencyRecorder
{
    /// <summary>The longest latency told apart from longer ones: an hour, far past any time-out.</summary>
    private const long HighestMicroseconds = 3_600_000_000;

    private const int SignificantDigits = 3;

    /// <remarks>
    /// The recorder's histograms must take concurrent writes: the load's workers record at once, and
    /// a plain <see cref="LongHistogram"/> loses some of their increments but not their total, so
    /// that reading it later ran off the end of its counts (an ArgumentOutOfRangeException that
    /// stopped the demo in 3 runs of 15).
    /// </remarks>
    private readonly Recorder _recorder = new(1, HighestMicroseconds, SignificantDigits, (id, lowest, highest, digits) => new LongConcurrentHistogram(id, lowest, highest, digits));
    private readonly LongHistogram _total = new(1, HighestMicroseconds, SignificantDigits);
    private readonly Lock _reading = new();

    /// <summary>The last interval, handed back to the recorder to fill next: a histogram is some 190 KB, and a live view takes one every second.</summary>
    private HistogramBase? _spare;

    public void Record(TimeSpan latency) => _recorder.RecordValue(Math.Clamp((long)latency.TotalMicroseconds, 1, HighestMicroseconds));

    /// <summary>The latencies recorded since the previous call (or since the start): a live view's last second.</summary>
    public LatencySummary TakeInterval()
    {
        lock (_reading)
        {
            var interval = TakeRecorded();
            return LatencySummary.Of(interval);
        }
    }

    /// <summary>Every latency recorded so far.</summary>
    public LatencySummary Total()
    {
        lock (_reading)
        {
            TakeRecorded();
            return LatencySummary.Of(_total);
        }
    }

    /// <summary>What was recorded since the last take, also added to the total. Under the reading lock.</summary>
    private HistogramBase TakeRecorded()
    {
        var interval = _spare is null ? _recorder.GetIntervalHistogram() : _recorder.GetIntervalHistogram(_spare);
        _total.Add(interval);
        _spare = interval;
        return interval;
    }
}

/// <summary>How many latencies, and their percentiles, in milliseconds (0 when there are none).</summary>
public readonly record struct LatencySummary(long Count, double P50Ms, double P99Ms, double MeanMs, double MaxMs)
{
    internal static LatencySummary Of(HistogramBase histogram) => histogram.TotalCount == 0
        ? default
        : new LatencySummary(
            histogram.TotalCount,
            Milliseconds(histogram.GetValueAtPercentile(50)),
            Milliseconds(histogram.GetValueAtPercentile(99)),
            histogram.GetMean() / 1_000,
            Milliseconds(histogram.GetMaxValue()));

    private static double Milliseconds(long microseconds) => microseconds / 1_000.0;
}
