using System.Collections.Concurrent;
using Orleans.Transactions;
using Roundabout.Accounts;
using Roundabout.Tests.Infrastructure;
using Roundabout.Transactions;
using Xunit.Abstractions;

namespace Roundabout.Tests.Cluster;

/// <summary>
/// A silo dies in the middle of a transfer load: every transfer still finishes (one way or
/// another) in bounded time, and afterwards the money adds up and every balance is what the
/// acknowledged transfers say, give or take transfers whose outcome was reported unknown.
/// </summary>
public sealed class SiloKillTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int AccountCount = 16;
    private const long InitialBalance = 1_000;
    private const int TransferCount = 600;
    private const int KillAfter = 150;
    private const int Concurrency = 16;
    private const int MaxConflictRetries = 5;
    private const int MaxBruteForceUnknown = 16;
    private static readonly TimeSpan CallLimit = TimeSpan.FromSeconds(60);

    private RoundaboutCluster? _cluster;

    private RoundaboutCluster Cluster => _cluster ?? throw new InvalidOperationException("The cluster has not started.");

    private IBankGrain Bank => Cluster.Grains.GetGrain<IBankGrain>(0);

    public async Task InitializeAsync() => _cluster = await RoundaboutCluster.StartAsync(
        silos: 3,
        configure: options => options.PreparedResolutionTimeout = TimeSpan.FromSeconds(2));

    public async Task DisposeAsync() => await Cluster.DisposeAsync();

    [Fact]
    public async Task Transfer_SiloKilledMidLoad_EveryCallFinishesAndBalancesMatchTheLedger()
    {
        var ids = Enumerable.Range(0, AccountCount).Select(i => Keys.New($"kill{i}")).ToArray();
        await Task.WhenAll(ids.Select(id => Cluster.Grains.GetGrain<IAccountGrain>(id).Deposit(InitialBalance)));
        const long total = AccountCount * InitialBalance;
        Assert.Equal(total, await Bank.Audit(ids));

        var random = new Random(7);
        var transfers = Enumerable.Range(0, TransferCount).Select(_ =>
        {
            var from = random.Next(AccountCount);
            var to = (from + 1 + random.Next(AccountCount - 1)) % AccountCount;
            return new TransferRequest(ids[from], ids[to], random.Next(1, 200));
        }).ToArray();

        var ledger = new TransferLedger();
        var unknown = new ConcurrentQueue<(TransferRequest Transfer, Exception Error)>();
        var hangs = new ConcurrentQueue<TransferRequest>();
        int committed = 0, refused = 0, finished = 0;
        var killed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        // Kill a non-primary silo that hosts some of the accounts, so that transfers in flight lose participants.
        var placements = await Cluster.Grains.GetGrain<IManagementGrain>(0).GetDetailedGrainStatistics();
        var accountsOn = Cluster.Cluster.Silos.ToDictionary(
            silo => silo,
            silo => placements.Count(p => p.SiloAddress.Equals(silo.SiloAddress) && ids.Contains(p.GrainId.Key.ToString())));
        var victim = Cluster.Cluster.Silos.Skip(1).MaxBy(silo => accountsOn[silo])!;
        Assert.True(accountsOn[victim] > 0, "no non-primary silo hosts an account");

        var next = -1;
        var workers = Enumerable.Range(0, Concurrency).Select(_ => Task.Run(async () =>
        {
            int index;
            while ((index = Interlocked.Increment(ref next)) < transfers.Length)
            {
                var transfer = transfers[index];
                for (var attempt = 0; ; attempt++)
                {
                    var call = Bank.Transfer(transfer.From, transfer.To, transfer.Amount);
                    if (await Task.WhenAny(call, Task.Delay(CallLimit)) != call)
                    {
                        hangs.Enqueue(transfer);
                        break;
                    }

                    try
                    {
                        await call;
                        ledger.Record(transfer.From, transfer.To, transfer.Amount);
                        Interlocked.Increment(ref committed);
                        break;
                    }
                    catch (TransactionConflictException) when (attempt < MaxConflictRetries)
                    {
                    }
                    catch (Exception exception) when (exception is InsufficientFundsException or OrleansTransactionAbortedException or OrleansStartTransactionFailedException)
                    {
                        // Conflicts (after the retries), refusals, other aborts, or no start: nothing happened.
                        Interlocked.Increment(ref refused);
                        break;
                    }
                    catch (Exception exception)
                    {
                        // In doubt, or a call that died with its silo: it may or may not have happened.
                        unknown.Enqueue((transfer, exception));
                        break;
                    }
                }

                if (Interlocked.Increment(ref finished) == KillAfter)
                {
                    await Cluster.Cluster.KillSiloAsync(victim);
                    killed.SetResult();
                }
            }
        })).ToArray();

        // Audits alongside the load: any that succeeds must see the total, before and after the kill.
        var loadDone = false;
        var audits = 0;
        var auditFailures = new ConcurrentQueue<Exception>();
        var wrongAudits = new ConcurrentQueue<long>();
        var auditor = Task.Run(async () =>
        {
            while (!Volatile.Read(ref loadDone))
            {
                var audit = Bank.Audit(ids);
                if (await Task.WhenAny(audit, Task.Delay(CallLimit)) != audit)
                {
                    auditFailures.Enqueue(new TimeoutException("an audit did not finish within the call limit"));
                    continue;
                }

                try
                {
                    var sum = await audit;
                    audits++;
                    if (sum != total)
                    {
                        wrongAudits.Enqueue(sum);
                    }
                }
                catch (Exception exception)
                {
                    auditFailures.Enqueue(exception);
                }
            }
        });

        await Task.WhenAll(workers);
        Volatile.Write(ref loadDone, true);
        await auditor;
        Assert.True(killed.Task.IsCompleted, "the silo was never killed");

        output.WriteLine($"killed {victim.SiloAddress}, which hosted {accountsOn[victim]} of the {AccountCount} accounts");
        output.WriteLine($"{committed} committed, {refused} refused, {unknown.Count} unknown, {hangs.Count} hung; {audits} audits during the load, {auditFailures.Count} failed");
        foreach (var (transfer, error) in unknown)
        {
            output.WriteLine($"unknown outcome: {transfer} -> {error.GetType().Name}: {error.Message}");
        }

        foreach (var error in auditFailures)
        {
            output.WriteLine($"audit during the load failed: {error.GetType().Name}: {error.Message}");
        }

        Assert.Empty(hangs);
        Assert.Empty(wrongAudits);
        Assert.Equal(TransferCount, committed + refused + unknown.Count);
        Assert.True(committed >= KillAfter / 2, $"only {committed} transfers committed");

        await Cluster.Cluster.WaitForLivenessToStabilizeAsync();

        // After the kill, read-only audits succeed (a snapshot older than a reactivated state's
        // first version may be refused once as too old, and is retried).
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(total, await ReadOnlyWithRetryAsync(() => Bank.Audit(ids)));
        }

        var final = await ReadOnlyWithRetryAsync(() => Cluster.Transactions.RunAsync(
            () => Task.WhenAll(ids.Select(id => Cluster.Grains.GetGrain<IAccountGrain>(id).GetBalance())),
            TransactionOptions.ReadOnlySnapshot));
        Assert.Equal(total, final.Sum());
        Assert.All(final, balance => Assert.True(balance >= 0, $"a balance ended at {balance}, below its overdraft limit of 0"));

        var expected = ids.Select(id => InitialBalance + ledger.DeltaOf(id)).ToArray();
        var unknownDeltas = unknown.Select(u => ids.Select(id => id == u.Transfer.From ? -u.Transfer.Amount : id == u.Transfer.To ? u.Transfer.Amount : 0L).ToArray()).ToArray();
        if (unknownDeltas.Length <= MaxBruteForceUnknown)
        {
            // Exactly: the final state is the ledger plus some subset of the in-doubt transfers.
            Assert.True(
                MatchesSomeSubset(final, expected, unknownDeltas, out var subset),
                $"final balances [{string.Join(", ", final)}] are not the ledger's [{string.Join(", ", expected)}] plus any subset of the {unknownDeltas.Length} transfers of unknown outcome");
            output.WriteLine($"{subset} of the {unknownDeltas.Length} transfers of unknown outcome took effect");
        }
        else
        {
            // Too many to try every subset: each balance must lie between the ledger plus all the
            // unknown debits and the ledger plus all the unknown credits (the total is checked above).
            for (var i = 0; i < ids.Length; i++)
            {
                var low = expected[i] + unknownDeltas.Sum(d => Math.Min(d[i], 0));
                var high = expected[i] + unknownDeltas.Sum(d => Math.Max(d[i], 0));
                Assert.InRange(final[i], low, high);
            }
        }
    }

    private static bool MatchesSomeSubset(long[] actual, long[] expected, long[][] deltas, out int taken)
    {
        for (var mask = 0; mask < 1 << deltas.Length; mask++)
        {
            var matches = true;
            for (var account = 0; account < actual.Length && matches; account++)
            {
                var value = expected[account];
                for (var bit = 0; bit < deltas.Length; bit++)
                {
                    if ((mask & (1 << bit)) != 0)
                    {
                        value += deltas[bit][account];
                    }
                }

                matches = value == actual[account];
            }

            if (matches)
            {
                taken = int.PopCount(mask);
                return true;
            }
        }

        taken = -1;
        return false;
    }

    private static async Task<T> ReadOnlyWithRetryAsync<T>(Func<Task<T>> read)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await read();
            }
            catch (SnapshotTooOldException) when (attempt < 3)
            {
            }
        }
    }
}
