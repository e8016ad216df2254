using System.Diagnostics;
using Orleans.Transactions;
using Roundabout.Accounts;
using Roundabout.Client.Library;
using Roundabout.Transactions;

namespace Roundabout.Client.Workload;

/// <summary>
/// Concurrent random transfers between accounts, with a snapshot audit now and then. A transfer
/// that conflicts is retried until it commits; <see cref="Conflicts"/> counts the retries.
/// </summary>
public sealed class BankWorkload(IGrainFactory grains, int accounts, int concurrency, long initialBalance)
{
    /// <summary>
    /// The most concurrent transfers a run drives: each is a task of its own, and far more than a
    /// cluster can serve at once only queue up (100,000 ran on for ten seconds after a one-second run;
    /// 100,000,000 took gigabytes and outlived the signal to stop).
    /// </summary>
    public const int MaxConcurrency = 10_000;

    private long _committed;
    private long _conflicts;
    private long _insufficient;
    private long _inDoubt;
    private long _audits;
    private long _auditMismatches;
    private long _failed;

    /// <summary>How transfers pick accounts, which isolation they run at, and how many operations are audits.</summary>
    public WorkloadShape Shape { get; init; } = new();

    public long Audits => Interlocked.Read(ref _audits);

    /// <summary>Audits that did not see <see cref="ExpectedTotal"/>: always 0 unless isolation is broken.</summary>
    public long AuditMismatches => Interlocked.Read(ref _auditMismatches);

    /// <summary>The accounts the transfers move money among: account-0 .. account-N-1.</summary>
    public string[] AccountIds { get; } = Enumerable.Range(0, accounts).Select(AccountId).ToArray();

    /// <summary>
    /// The accounts every audit sums: <see cref="AccountIds"/> unless set. The demo sets the
    /// whole bank (which includes them), so that its totals are the bank's.
    /// </summary>
    public string[]? AuditedAccounts { get; init; }

    public long Committed => Interlocked.Read(ref _committed);

    public long Conflicts => Interlocked.Read(ref _conflicts);

    public long Insufficient => Interlocked.Read(ref _insufficient);

    public long InDoubt => Interlocked.Read(ref _inDoubt);

    /// <summary>
    /// Transfers and audits that failed for a passing reason (a call that timed out, a snapshot
    /// that was too old) and were counted rather than retried: a busy run goes on past them.
    /// </summary>
    public long Failed => Interlocked.Read(ref _failed);

    /// <summary>The latencies of committed transfers, retries included.</summary>
    public LatencyRecorder Latencies { get; } = new();

    /// <summary>The total every audit must see: fixed by <see cref="InitializeAsync"/> or <see cref="TakeExpectedTotalAsync"/>.</summary>
    public long ExpectedTotal { get; private set; }

    /// <summary>The id of the account numbered <paramref name="index"/>, as the commands name them.</summary>
    public static string AccountId(int index) => $"account-{index}";

    /// <summary>
    /// Opens the accounts with the initial balance, unless they already hold money (a second run
    /// on the same data): then they keep what they have.
    /// </summary>
    public async Task InitializeAsync(CancellationToken cancellationToken = default)
    {
        if (await AuditAsync() == 0)
        {
            await Parallel.ForEachAsync(AccountIds, new ParallelOptions { MaxDegreeOfParallelism = 32, CancellationToken = cancellationToken }, async (id, _) =>
                await grains.GetGrain<IAccountGrain>(id).Deposit(initialBalance));
        }

        await TakeExpectedTotalAsync();
    }

    /// <summary>Audits the accounts as they are (opened by the caller) and takes the sum as <see cref="ExpectedTotal"/>.</summary>
    public async Task<long> TakeExpectedTotalAsync() => ExpectedTotal = await AuditAsync();

    public Task<long> AuditAsync() => grains.GetGrain<IBankGrain>(0).Audit(AuditedAccounts ?? AccountIds);

    /// <summary>
    /// How long past the run's duration its calls still in flight are waited for. A call to a silo
    /// that died waits for Orleans' response time-out (30 s by default); past this point the run
    /// stops waiting and counts it as in doubt (it may still commit), rather than end half a
    /// minute late.
    /// </summary>
    public static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The longest run the commands take, in seconds: 30 days. A run's timer cannot wait past about
    /// 49 days, and a longer --duration failed only after the silo had started and the accounts were opened.
    /// </summary>
    public const int MaxRunSeconds = 30 * 24 * 3600;

    public async Task RunAsync(TimeSpan duration, CancellationToken cancellationToken = default)
    {
        var stopwatch = Stopwatch.StartNew();
        var bank = grains.GetGrain<IBankGrain>(0);
        using var drained = new CancellationTokenSource(duration + DrainTimeout);
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(worker => Task.Run(async () =>
        {
            var random = new Random(worker);
            while (stopwatch.Elapsed < duration && !cancellationToken.IsCancellationRequested)
            {
                if (Shape.AuditShare > 0 && random.NextDouble() < Shape.AuditShare)
                {
                    try
                    {
                        var total = await AuditAsync().WaitAsync(drained.Token);
                        Interlocked.Increment(ref _audits);
                        if (total != ExpectedTotal)
                        {
                            Interlocked.Increment(ref _auditMismatches);
                        }
                    }
                    catch (Exception exception) when (IsTransient(exception) || Unanswered(exception, drained, cancellationToken))
                    {
                        Interlocked.Increment(ref _failed);
                    }

                    continue;
                }

                var (from, to) = PickAccounts(random);
                var amount = random.Next(1, 11);
                var started = Stopwatch.GetTimestamp();
                try
                {
                    for (var failed = 0; ; failed++)
                    {
                        try
                        {
                            await bank.Transfer(AccountIds[from], AccountIds[to], amount, Shape.Isolation).WaitAsync(drained.Token);
                            break;
                        }
                        catch (TransactionConflictException)
                        {
                            // Back off before retrying, as the client library's runner does: on a
                            // hot spot, retrying at once only meets the same writers again.
                            Interlocked.Increment(ref _conflicts);
                            await Task.Delay(RetryPolicy.Default.DelayAfter(failed + 1, random), cancellationToken);
                        }
                    }

                    Interlocked.Increment(ref _committed);
                    Latencies.Record(Stopwatch.GetElapsedTime(started));
                }
                catch (Exception exception) when (exception is OrleansTransactionInDoubtException || Unanswered(exception, drained, cancellationToken))
                {
                    Interlocked.Increment(ref _inDoubt);
                }
                catch (InsufficientFundsException)
                {
                    Interlocked.Increment(ref _insufficient);
                }
                catch (Exception exception) when (IsTransient(exception))
                {
                    Interlocked.Increment(ref _failed);
                }
            }
        }, cancellationToken)));
    }

    /// <summary>A call the run stopped waiting for (see <see cref="DrainTimeout"/>), not one the person cancelled.</summary>
    private static bool Unanswered(Exception exception, CancellationTokenSource drained, CancellationToken cancellationToken) =>
        exception is OperationCanceledException && drained.IsCancellationRequested && !cancellationToken.IsCancellationRequested;

    /// <summary>
    /// Failures that say nothing about the workload's correctness: a call that timed out or whose
    /// silo went away (a transfer's outcome is then unknown, but a transfer keeps the total either
    /// way; a cluster that loses a silo goes on without it) or a transaction that may be tried
    /// again (a snapshot too old for the versions still kept).
    /// </summary>
    private static bool IsTransient(Exception exception) =>
        exception is TimeoutException or OrleansTransactionTransientFailureException or OrleansMessageRejectionException;

    /// <summary>Two different accounts; with the hot-spot shape, most transfers touch the first few.</summary>
    private (int From, int To) PickAccounts(Random random)
    {
        int Pick() => Shape.HotAccounts > 0 && random.NextDouble() < Shape.HotShare
            ? random.Next(Math.Min(Shape.HotAccounts, AccountIds.Length))
            : random.Next(AccountIds.Length);

        var from = Pick();
        var to = Pick();
        while (to == from)
        {
            to = (to + 1 + random.Next(AccountIds.Length - 1)) % AccountIds.Length;
        }

        return (from, to);
    }
}

/// <param name="HotAccounts">The first this many accounts are the hot spot (0: no hot spot).</param>
/// <param name="HotShare">The share of account picks that go to the hot spot.</param>
/// <param name="Isolation">The transfers' isolation level (the agent's default when not set).</param>
/// <param name="AuditShare">The share of operations that are snapshot audits of all accounts.</param>
public sealed record WorkloadShape(int HotAccounts = 0, double HotShare = 0, IsolationLevel? Isolation = null, double AuditShare = 0);
