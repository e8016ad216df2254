using System.Collections.Concurrent;
using Roundabout.Accounts;
using Roundabout.Tests.Infrastructure;
using Roundabout.Transactions;
using Xunit.Abstractions;

namespace Roundabout.Tests.Cluster;

/// <summary>
/// Read-only snapshot transactions never abort, however hard writers hammer the states they
/// read, and each one sees a consistent snapshot (the balances always sum to the total).
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ReadOnlyUnderLoadTests(ClusterFixture fixture, ITestOutputHelper output)
{
    private const int HotAccounts = 4;
    private const long InitialBalance = 100_000;
    private const int Writers = 32;
    private const int TargetCommits = 400;
    private const int MaxTransferAttempts = 20_000;
    private const int Readers = 4;
    private const int MinReads = 100;
    private const int MinReadsOverlappingCommits = MinReads / 10;

    private IGrainFactory Grains => fixture.Cluster.Grains;

    private IBankGrain Bank => Grains.GetGrain<IBankGrain>(0);

    [Fact]
    public async Task ReadOnlyTransactions_UnderHeavyTransfersOnHotAccounts_NeverAbortAndSeeTheTotal()
    {
        var ids = Enumerable.Range(0, HotAccounts).Select(_ => Keys.New("hot")).ToArray();
        await Task.WhenAll(ids.Select(id => Grains.GetGrain<IAccountGrain>(id).Deposit(InitialBalance)));
        const long total = HotAccounts * InitialBalance;

        var committed = 0;
        var attempts = 0;
        var conflicts = 0;
        var writerFailures = new ConcurrentQueue<Exception>();
        var writersDone = false;

        var reads = 0;
        var readsOverlappingCommits = 0;
        var readOnlyAborts = new ConcurrentQueue<Exception>();
        var wrongTotals = new ConcurrentQueue<string>();

        // The readers start first and stop last, so every transfer commits while they run.
        var readers = Enumerable.Range(0, Readers).Select(reader => Task.Run(async () =>
        {
            for (var round = 0; !Volatile.Read(ref writersDone) || Volatile.Read(ref reads) < MinReads; round++)
            {
                var committedBefore = Volatile.Read(ref committed);
                var kind = (reader + round) % 3;
                try
                {
                    var sum = kind switch
                    {
                        0 => await Bank.Audit(ids),
                        1 => await ReadInParallelAsync(ids),
                        _ => await ReadOneByOneAsync(ids),
                    };
                    if (sum != total)
                    {
                        wrongTotals.Enqueue($"read-only transaction of kind {kind} summed to {sum}, not {total}");
                    }
                }
                catch (Exception exception)
                {
                    readOnlyAborts.Enqueue(exception);
                }

                Interlocked.Increment(ref reads);
                if (Volatile.Read(ref committed) != committedBefore)
                {
                    Interlocked.Increment(ref readsOverlappingCommits);
                }
            }
        })).ToArray();

        var writers = Enumerable.Range(0, Writers).Select(writer => Task.Run(async () =>
        {
            var random = new Random(writer);
            // Until enough reads overlapped commits too: on a fast machine the writers can reach
            // their target before the readers' tasks have even started.
            while ((Volatile.Read(ref committed) < TargetCommits || Volatile.Read(ref readsOverlappingCommits) < MinReadsOverlappingCommits)
                   && Interlocked.Increment(ref attempts) <= MaxTransferAttempts)
            {
                var from = random.Next(HotAccounts);
                var to = (from + 1 + random.Next(HotAccounts - 1)) % HotAccounts;
                try
                {
                    await Bank.Transfer(ids[from], ids[to], random.Next(1, 100));
                    Interlocked.Increment(ref committed);
                }
                catch (TransactionConflictException)
                {
                    Interlocked.Increment(ref conflicts);
                }
                catch (Exception exception)
                {
                    writerFailures.Enqueue(exception);
                }
            }
        })).ToArray();

        await Task.WhenAll(writers);
        Volatile.Write(ref writersDone, true);
        await Task.WhenAll(readers);

        output.WriteLine($"{committed} transfers committed ({conflicts} conflicts) during {reads} read-only transactions, {readsOverlappingCommits} of which overlapped a commit");
        Assert.Empty(writerFailures.Select(e => e.ToString()));
        Assert.Empty(readOnlyAborts.Select(e => e.ToString()));
        Assert.Empty(wrongTotals);

        // Not vacuous: the readers really ran alongside many commits.
        Assert.True(reads >= MinReads, $"only {reads} read-only transactions ran");
        Assert.True(committed >= TargetCommits, $"only {committed} transfers committed in {MaxTransferAttempts} attempts");
        Assert.True(readsOverlappingCommits >= MinReadsOverlappingCommits, $"only {readsOverlappingCommits} read-only transactions overlapped a commit in {MaxTransferAttempts} transfer attempts");
        Assert.Equal(total, await Bank.Audit(ids));
    }

    private Task<long> ReadInParallelAsync(string[] ids) =>
        fixture.Cluster.Transactions.RunAsync(
            async () => (await Task.WhenAll(ids.Select(id => Grains.GetGrain<IAccountGrain>(id).GetBalance()))).Sum(),
            TransactionOptions.ReadOnlySnapshot);

    /// <summary>Reads the accounts one after another, leaving writers time to commit in between.</summary>
    private Task<long> ReadOneByOneAsync(string[] ids) =>
        fixture.Cluster.Transactions.RunAsync(
            async () =>
            {
                long sum = 0;
                foreach (var id in ids)
                {
                    sum += (await Grains.GetGrain<IAccountGrain>(id).GetSnapshot()).Balance;
                    await Task.Yield();
                }

                return sum;
            },
            TransactionOptions.ReadOnlySnapshot);
}
