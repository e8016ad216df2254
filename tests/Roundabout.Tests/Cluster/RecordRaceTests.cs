using System.Text;
using Roundabout.Client.Library;
using Roundabout.Records;
using Roundabout.Tests.Infrastructure;
using Roundabout.Transactions;
using Xunit.Abstractions;

namespace Roundabout.Tests.Cluster;

/// <summary>
/// Compare-and-set races, and a write-skew cycle between a two-round and a one-round transaction
/// on records whose late part arrives below the other's commit timestamp (from an adversarial review:
/// these held; they stay as guards).
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class RecordRaceTests(ClusterFixture fixture, ITestOutputHelper output)
{
    private static readonly TimeSpan Step = TimeSpan.FromSeconds(20);

    private RoundaboutClient Client => new(fixture.Cluster.Grains, fixture.Cluster.Transactions);

    [Theory]
    [InlineData(IsolationLevel.Serializable)]
    [InlineData(IsolationLevel.Snapshot)]
    public async Task ConcurrentCas_SameExpectedVersion_AtMostOneWins(IsolationLevel isolation)
    {
        var client = Client;
        for (var round = 0; round < 5; round++)
        {
            var key = Keys.New("race-cas");
            await client.PutAsync(key, [0]);
            await client.DeleteAsync(key);
            await client.PutAsync(key, [1]); // version 3 after put, delete, put
            var options = new RunOptions { Isolation = isolation, Retry = RetryPolicy.Default with { MaxAttempts = 200 } };
            var results = await Task.WhenAll(Enumerable.Range(0, 12).Select(i => client.CompareAndSetAsync(key, 3, [(byte)(10 + i)], options)));
            var winners = results.Count(r => r.Succeeded);
            var final = await client.GetAsync(key);
            output.WriteLine($"round {round}: {winners} winners, final version {final.Version}");
            Assert.Equal(1, winners);
            Assert.Equal(4, final.Version);
            Assert.All(results.Where(r => !r.Succeeded), r => Assert.Equal(4, r.Version));
        }
    }

    /// <summary>Two records, each CAS'd in one transaction with the other: the transactions swap which they do first.</summary>
    [Theory]
    [InlineData(IsolationLevel.Serializable)]
    [InlineData(IsolationLevel.Snapshot)]
    public async Task CasOnTwoRecordsInOneTransaction_ConcurrentPairs_AllOrNothing(IsolationLevel isolation)
    {
        var grains = fixture.Cluster.Grains;
        var (ka, kb) = (Keys.New("race-cas2"), Keys.New("race-cas2"));
        var (a, b) = (grains.GetGrain<IRecordGrain>(ka), grains.GetGrain<IRecordGrain>(kb));
        var runner = Client.Runner;
        var options = new RunOptions { Isolation = isolation, Retry = RetryPolicy.Default with { MaxAttempts = 200 } };
        var outcomes = await Task.WhenAll(Enumerable.Range(0, 10).Select(i => runner.RunAsync(async () =>
        {
            var first = i % 2 == 0 ? a : b;
            var second = i % 2 == 0 ? b : a;
            var r1 = await first.CompareAndSet(0, [(byte)i]);
            if (!r1.Succeeded)
            {
                return false;
            }

            var r2 = await second.CompareAndSet(0, [(byte)i]);
            if (!r2.Succeeded)
            {
                throw new InvalidOperationException("second CAS failed after the first succeeded");
            }

            return true;
        }, options).ContinueWith(t => t.IsCompletedSuccessfully ? (t.Result ? "won" : "lost") : t.Exception!.InnerException!.GetType().Name, TaskScheduler.Default)));

        var (va, vb) = (await a.Get(), await b.Get());
        output.WriteLine($"{string.Join(",", outcomes)}; a={va.Version}:{va.Value?[0]}, b={vb.Version}:{vb.Value?[0]}");
        Assert.Equal(va.Version, vb.Version);
        Assert.True(va.Version <= 1);
        if (va.Version == 1)
        {
            Assert.Equal(va.Value![0], vb.Value![0]);
        }
    }

    /// <summary>
    /// Write skew across two grains. T1 (two-round) reads X and writes Y. T2 (one-round) reads Y
    /// and writes X; its part at X is held back until T1 has committed, so it arrives late and
    /// below T1's commit timestamp. Serializable forbids both committing with each having missed
    /// the other's write.
    /// </summary>
    [Fact]
    public async Task WriteSkew_TwoRoundAndDelayedOneRound_NotBothCommitBlind()
    {
        var grains = fixture.Cluster.Grains;
        var x = grains.GetGrain<IRecordGrain>(Keys.New("race-skew-x"));
        var y = grains.GetGrain<IRecordGrain>(Keys.New("race-skew-y"));
        await x.Put(Encoding.UTF8.GetBytes("x0"));
        await y.Put(Encoding.UTF8.GetBytes("y0"));

        var t1Read = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var t1MayCommit = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var t1Done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        string? t1SawX = null;
        var t1 = fixture.Cluster.Transactions.RunAsync(async () =>
        {
            t1SawX = Encoding.UTF8.GetString((await x.Get()).Value!);
            await y.Put(Encoding.UTF8.GetBytes("T1 saw " + t1SawX));
            t1Read.TrySetResult();
            await t1MayCommit.Task.WaitAsync(Step);
        });
        await t1Read.Task.WaitAsync(Step);

        var attempts = 0;
        var t2ReadY = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var t2 = fixture.Cluster.Transactions.RunOneRoundAsync(round =>
        {
            var first = Interlocked.Increment(ref attempts) == 1;
            var readY = y.GetInRound(round);
            _ = readY.ContinueWith(_ => t2ReadY.TrySetResult(), TaskScheduler.Default);
            var writeX = Task.Run(async () =>
            {
                if (first)
                {
                    await t1Done.Task.WaitAsync(Step);
                }

                return await x.PutInRound(round, Encoding.UTF8.GetBytes("x-by-T2"));
            });
            return [readY, writeX];
        });

        await t2ReadY.Task.WaitAsync(Step);
        t1MayCommit.SetResult();
        var t1Error = await Record.ExceptionAsync(() => t1);
        t1Done.SetResult();
        var t2Error = await Record.ExceptionAsync(() => t2.WaitAsync(Step));
        var t2SawY = t2Error is null ? Encoding.UTF8.GetString((await t2)[0].ResultAs<VersionedValue>().Value!) : "(aborted)";
        var story = $"T1 {(t1Error is null ? "committed" : t1Error.GetType().Name)} saw X='{t1SawX}'; T2 {(t2Error is null ? "committed" : t2Error.GetType().Name)} in {attempts} attempts saw Y='{t2SawY}'";
        output.WriteLine(story);
        Assert.False(t1Error is null && t2Error is null && t1SawX == "x0" && t2SawY == "y0", "write skew: " + story);
    }
}
