using System.Collections.Concurrent;
using System.Diagnostics;
using Orleans.Transactions;
using Roundabout.Accounts;
using Roundabout.Transactions;

namespace Roundabout.Client.Workload;

/// <summary>Concurrent random transfers between accounts, with a snapshot audit now and then.</summary>
/// <param name="retryConflicts">Retry a conflicting transfer until it commits (counting the retries) instead of counting it as aborted.</param>
public sealed class BankWorkload(IGrainFactory grains, int accounts, int concurrency, long initialBalance, bool retryConflicts = false)
{
    private readonly ConcurrentQueue<double> _latenciesMs = new();
    private long _committed;
    private long _conflicts;
    private long _insufficient;
    private long _inDoubt;

    public string[] AccountIds { get; } = Enumerable.Range(0, accounts).Select(i => $"account-{i}").ToArray();

    public long Committed => Interlocked.Read(ref _committed);

    public long Conflicts => Interlocked.Read(ref _conflicts);

    public long Insufficient => Interlocked.Read(ref _insufficient);

    public long InDoubt => Interlocked.Read(ref _inDoubt);

    /// <summary>Latencies of committed transfers (with their retries), in milliseconds.</summary>
    public double[] LatenciesMs => [.. _latenciesMs];

    /// <summary>The total every audit must see: fixed by <see cref="InitializeAsync"/>.</summary>
    public long ExpectedTotal { get; private set; }

    /// <summary>
    /// Opens the accounts with the initial balance, unless they already hold money (a second run
    /// on the same data): then they keep what they have. Returns whether they existed.
    /// </summary>
    public async Task<bool> InitializeAsync()
    {
        var existing = await AuditAsync();
        if (existing == 0)
        {
            await Parallel.ForEachAsync(AccountIds, new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (id, _) =>
                await grains.GetGrain<IAccountGrain>(id).Deposit(initialBalance));
        }

        ExpectedTotal = await AuditAsync();
        return existing != 0;
    }

    public Task<long> AuditAsync() => grains.GetGrain<IBankGrain>(0).Audit(AccountIds);

    public async Task RunAsync(TimeSpan duration, CancellationToken cancellationToken = default)
    {
        var stopwatch = Stopwatch.StartNew();
        var bank = grains.GetGrain<IBankGrain>(0);
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(worker => Task.Run(async () =>
        {
            var random = new Random(worker);
            while (stopwatch.Elapsed < duration && !cancellationToken.IsCancellationRequested)
            {
                var from = random.Next(AccountIds.Length);
                var to = (from + 1 + random.Next(AccountIds.Length - 1)) % AccountIds.Length;
                var amount = random.Next(1, 11);
                var started = Stopwatch.GetTimestamp();
                try
                {
                    while (true)
                    {
                        try
                        {
                            await bank.Transfer(AccountIds[from], AccountIds[to], amount);
                            break;
                        }
                        catch (TransactionConflictException) when (retryConflicts)
                        {
                            Interlocked.Increment(ref _conflicts);
                        }
                    }

                    Interlocked.Increment(ref _committed);
                    _latenciesMs.Enqueue(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                }
                catch (TransactionConflictException)
                {
                    Interlocked.Increment(ref _conflicts);
                }
                catch (OrleansTransactionInDoubtException)
                {
                    Interlocked.Increment(ref _inDoubt);
                }
                catch (InsufficientFundsException)
                {
                    Interlocked.Increment(ref _insufficient);
                }
            }
        }, cancellationToken)));
    }
}
