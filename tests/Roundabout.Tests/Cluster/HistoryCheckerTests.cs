using System.Globalization;
using Orleans.Transactions;
using Roundabout.Records;
using Roundabout.Tests.Consistency;
using Roundabout.Tests.Infrastructure;
using Roundabout.Transactions;
using Xunit.Abstractions;

namespace Roundabout.Tests.Cluster;

/// <summary>
/// Random concurrent transactions on the shared cluster, recorded and checked: a committed
/// Serializable history must be (strictly) serializable; a Snapshot history must satisfy SI.
/// Set ROUNDABOUT_HISTORY_SEED to replay a seed's transaction mix.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class HistoryCheckerTests(ClusterFixture fixture, ITestOutputHelper output)
{
    private IGrainFactory Grains => fixture.Cluster.Grains;

    private IRoundaboutTransactions Transactions => fixture.Cluster.Transactions;

    [Theory]
    [InlineData(IsolationLevel.Serializable)]
    [InlineData(IsolationLevel.Snapshot)]
    public async Task RunAsync_RandomConcurrentTransactions_HistorySatisfiesTheIsolationLevel(IsolationLevel isolation)
    {
        var seed = Environment.GetEnvironmentVariable("ROUNDABOUT_HISTORY_SEED") is { Length: > 0 } fixedSeed
            ? int.Parse(fixedSeed, CultureInfo.InvariantCulture)
            : Random.Shared.Next();
        var options = new WorkloadOptions(seed, isolation);
        output.WriteLine($"seed {seed} ({isolation})");

        var result = await new RandomWorkload(Grains, Transactions, options).RunAsync();

        output.WriteLine(result.ToString());
        var context = $"seed {seed} ({isolation}; ROUNDABOUT_HISTORY_SEED={seed} replays the mix): {result}";
        Assert.True(result.UnexpectedErrors.Count == 0, $"{context}{Environment.NewLine}{string.Join(Environment.NewLine, result.UnexpectedErrors.Take(3))}");

        var report = isolation == IsolationLevel.Serializable
            ? SerializabilityChecker.Check(result.History)
            : SnapshotIsolationChecker.Check(result.History);
        output.WriteLine(report.ToString());
        Assert.True(report.IsConsistent, $"{context}{Environment.NewLine}{report}");

        // Not vacuous: much committed, conflicts happened, and the graph has every kind of edge.
        Assert.True(result.CommittedWriters >= options.Transactions / 10, $"too few committed writers; {context}");
        Assert.True(result.Count(TransactionOutcome.Committed) >= options.Transactions / 4, $"too few commits; {context}");
        Assert.True(result.Count(TransactionOutcome.Aborted) > 0, $"no conflicts happened; {context}");
        foreach (var kind in new[] { DependencyKind.WriteWrite, DependencyKind.WriteRead, DependencyKind.ReadWrite, DependencyKind.RealTime })
        {
            Assert.True(report.Graph.Count(kind) > 0, $"no {kind} edges; {context}");
        }

        // The last reader saw every key at the version that counts all committed writes of it.
        var final = result.History[^1];
        Assert.Equal(result.Keys.Count, final.Operations.Count);
        foreach (var read in final.Operations)
        {
            var writers = report.Graph.Committed.Count(t => t.Writes.Any(w => w.Key == read.Key));
            Assert.True(read.Version == writers, $"{read.Key} is at version {read.Version} but {writers} committed transactions wrote it; {context}");
        }
    }

    [Theory]
    [InlineData(IsolationLevel.Serializable)]
    [InlineData(IsolationLevel.Snapshot)]
    public async Task RunAsync_RandomTransactionsWhileRecordsDeactivate_HistorySatisfiesTheIsolationLevel(IsolationLevel isolation)
    {
        var seed = Random.Shared.Next();
        var options = new WorkloadOptions(seed, isolation, Transactions: 300);
        output.WriteLine($"seed {seed} ({isolation})");
        var workload = new RandomWorkload(Grains, Transactions, options);
        using var stop = new CancellationTokenSource();
        var disruptions = Task.Run(async () =>
        {
            var random = new Random(seed);
            var count = 0;
            while (!stop.IsCancellationRequested)
            {
                await Task.Delay(random.Next(10, 60));
                await fixture.Cluster.Cluster.DeactivateAsync(Grains.GetGrain<IRecordGrain>(workload.Keys[random.Next(workload.Keys.Count)]));
                count++;
            }

            return count;
        });

        var result = await workload.RunAsync();
        await stop.CancelAsync();
        var deactivations = await disruptions;

        output.WriteLine($"{result}; {deactivations} deactivations");
        var context = $"seed {seed} ({isolation}): {result}; {deactivations} deactivations";
        var report = isolation == IsolationLevel.Serializable
            ? SerializabilityChecker.Check(result.History)
            : SnapshotIsolationChecker.Check(result.History);
        output.WriteLine(report.ToString());
        Assert.True(report.IsConsistent, $"{context}{Environment.NewLine}{report}{Environment.NewLine}{string.Join(Environment.NewLine, result.UnexpectedErrors.Take(3))}");
        Assert.True(deactivations > 0, context);
        Assert.True(result.CommittedWriters >= options.Transactions / 10, $"too few committed writers; {context}");
    }

    [Fact]
    public async Task RunAsync_WriteSkewAtSnapshot_BothCommitAndOnlyTheSerializabilityCheckerObjects()
    {
        var history = await RunWriteSkewAsync(IsolationLevel.Snapshot);

        Assert.All(history, t => Assert.Equal(TransactionOutcome.Committed, t.Outcome));
        var serializable = SerializabilityChecker.Check(history);
        Assert.True(serializable.Has(AnomalyKind.Cycle), serializable.ToString());
        var snapshot = SnapshotIsolationChecker.Check(history);
        Assert.True(snapshot.IsConsistent, snapshot.ToString());
    }

    [Fact]
    public async Task RunAsync_WriteSkewAtSerializable_OneAbortsAndTheHistoryIsSerializable()
    {
        var history = await RunWriteSkewAsync(IsolationLevel.Serializable);

        Assert.Single(history, t => t.Outcome == TransactionOutcome.Aborted);
        Assert.Single(history, t => t.Outcome == TransactionOutcome.Committed);
        var report = SerializabilityChecker.Check(history);
        Assert.True(report.IsConsistent, report.ToString());
    }

    /// <summary>Two transactions both read x and y before either writes; then one writes x, the other y.</summary>
    private async Task<IReadOnlyList<RecordedTransaction>> RunWriteSkewAsync(IsolationLevel isolation)
    {
        var (x, y) = (Keys.New("skew"), Keys.New("skew"));
        var recorder = new HistoryRecorder();
        var bothRead = new Barrier(2);

        async Task RunAsync(string target)
        {
            var log = recorder.Begin();
            try
            {
                await Transactions.RunAsync(
                    async () =>
                    {
                        foreach (var key in new[] { x, y })
                        {
                            var seen = await Grains.GetGrain<IRecordGrain>(key).Get();
                            log.Read(key, seen.Value, seen.Version);
                        }

                        await Task.Run(() => Assert.True(bothRead.SignalAndWait(TimeSpan.FromSeconds(20)), "the other transaction never read"));
                        log.Wrote(target, await Grains.GetGrain<IRecordGrain>(target).Put(log.ValueFor(target)));
                    },
                    new TransactionOptions(isolation));
                recorder.Finish(log, TransactionOutcome.Committed);
            }
            catch (OrleansTransactionAbortedException)
            {
                recorder.Finish(log, TransactionOutcome.Aborted);
            }
        }

        await Task.WhenAll(RunAsync(x), RunAsync(y));
        return recorder.History;
    }
}
