using Roundabout.Client.Workload;

namespace Roundabout.Tests.Cli;

/// <summary>The load runs' latencies: percentiles within the histogram's precision, intervals that add up to the total.</summary>
public sealed class LatencyRecorderTests
{
    [Fact]
    public void Percentiles_OfAThousandLatencies_AreWithinTheHistogramsPrecision()
    {
        var recorder = new LatencyRecorder();
        for (var ms = 1; ms <= 1_000; ms++)
        {
            recorder.Record(TimeSpan.FromMilliseconds(ms));
        }

        var total = recorder.Total();

        Assert.Equal(1_000, total.Count);
        Assert.Equal(500, total.P50Ms, tolerance: 1);
        Assert.Equal(990, total.P99Ms, tolerance: 1);
        Assert.Equal(500.5, total.MeanMs, tolerance: 1);
        Assert.Equal(1_000, total.MaxMs, tolerance: 1);
    }

    [Fact]
    public void TakeInterval_SeesOnlyWhatCameSinceTheLastOne_AndTheTotalSeesAll()
    {
        var recorder = new LatencyRecorder();
        recorder.Record(TimeSpan.FromMilliseconds(100));
        var first = recorder.TakeInterval();
        recorder.Record(TimeSpan.FromMilliseconds(2));
        recorder.Record(TimeSpan.FromMilliseconds(2));

        var second = recorder.TakeInterval();
        var empty = recorder.TakeInterval();

        Assert.Equal((1, 100.0), (first.Count, Math.Round(first.P50Ms)));
        Assert.Equal((2, 2.0), (second.Count, Math.Round(second.MaxMs)));
        Assert.Equal(default, empty);
        Assert.Equal((3, 100.0), (recorder.Total().Count, Math.Round(recorder.Total().MaxMs)));
    }

    /// <summary>
    /// The load's workers record at once while the live view takes intervals. With histograms that
    /// do not take concurrent writes, increments were lost and reading an interval ran off the end
    /// of its counts (the demo stopped with an ArgumentOutOfRangeException).
    /// </summary>
    [Fact]
    public async Task ConcurrentWriters_WhileIntervalsAreTaken_LoseNothingAndReadCleanly()
    {
        const int writers = 4;
        const int perWriter = 250_000;
        var recorder = new LatencyRecorder();
        using var start = new Barrier(writers + 1);
        var recording = Enumerable.Range(0, writers).Select(writer => Task.Factory.StartNew(
            () =>
            {
                start.SignalAndWait();
                for (var i = 0; i < perWriter; i++)
                {
                    recorder.Record(TimeSpan.FromMicroseconds(1 + ((i + writer) % 5_000)));
                }
            },
            TaskCreationOptions.LongRunning)).ToArray();

        start.SignalAndWait();
        long seenInIntervals = 0;
        while (!recording.All(task => task.IsCompleted))
        {
            seenInIntervals += recorder.TakeInterval().Count;
        }

        await Task.WhenAll(recording);
        seenInIntervals += recorder.TakeInterval().Count;

        Assert.Equal(writers * perWriter, seenInIntervals);
        Assert.Equal(writers * perWriter, recorder.Total().Count);
    }
}
