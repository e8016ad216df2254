using System.Diagnostics;
using Roundabout.Client.Workload;

namespace Roundabout.Client.Benchmarks;

/// <summary>
/// Concurrent transfers of 1..10 between random accounts of a fresh set, each retried until it
/// commits. Every transfer is one transaction started by the client:
/// <c>Task.WhenAll(from.Withdraw(a), to.Deposit(a))</c>, the same on both systems.
/// </summary>
public sealed class TransferWorkload(BenchmarkSilo silo, string prefix, int accounts, TimeSpan giveUpAfter)
{
    public const long InitialBalance = 1_000_000;

    private readonly IBenchmarkAccountGrain[] _accounts = Enumerable.Range(0, accounts)
        .Select(i => silo.Grains.GetGrain<IBenchmarkAccountGrain>($"{prefix}-{i}"))
        .ToArray();

    private readonly PatientTransactions _transactions = new(silo.Transactions, giveUpAfter);

    public long ExpectedTotal => InitialBalance * accounts;

    /// <summary>Opens every account with <see cref="InitialBalance"/>.</summary>
    public async Task InitializeAsync(CancellationToken cancellationToken) =>
        await Parallel.ForEachAsync(_accounts, new ParallelOptions { MaxDegreeOfParallelism = 32, CancellationToken = cancellationToken }, async (account, token) =>
        {
            var (outcome, _) = await _transactions.RunAsync(() => account.Deposit(InitialBalance), new Random(), token);
            if (outcome != TransactionOutcome.Committed)
            {
                throw new InvalidOperationException($"Opening an account ended {outcome}.");
            }
        });

    /// <summary>The sum of all balances, read in one transaction.</summary>
    public async Task<long> AuditAsync()
    {
        long total = 0;
        var (outcome, _) = await _transactions.RunAsync(
            async () => total = (await Task.WhenAll(_accounts.Select(account => account.GetBalance()))).Sum(),
            new Random(),
            CancellationToken.None);
        return outcome == TransactionOutcome.Committed
            ? total
            : throw new InvalidOperationException($"The audit transaction ended {outcome}.");
    }

    /// <summary>
    /// Starts transfers for <paramref name="duration"/>, then waits for those under way (they commit,
    /// or give up after the give-up time).
    /// </summary>
    /// <param name="cancellationToken">Stops starting transfers and retrying them; then no counts, but <see cref="OperationCanceledException"/>.</param>
    public async Task<Counts> RunAsync(int concurrency, TimeSpan duration, CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        var latencies = new LatencyRecorder();
        var workers = await Task.WhenAll(Enumerable.Range(0, concurrency).Select(worker => Task.Run(async () =>
        {
            var random = new Random(worker);
            var counts = new Counts();
            while (stopwatch.Elapsed < duration && !cancellationToken.IsCancellationRequested)
            {
                var from = random.Next(_accounts.Length);
                var to = (from + 1 + random.Next(_accounts.Length - 1)) % _accounts.Length;
                var amount = random.Next(1, 11);
                var started = Stopwatch.GetTimestamp();
                var (outcome, retries) = await _transactions.RunAsync(
                    () => Task.WhenAll(_accounts[from].Withdraw(amount), _accounts[to].Deposit(amount)),
                    random,
                    cancellationToken);
                counts.Add(outcome, retries);
                if (outcome == TransactionOutcome.Committed)
                {
                    latencies.Record(Stopwatch.GetElapsedTime(started));
                }
            }

            return counts;
        })));
        cancellationToken.ThrowIfCancellationRequested();
        return Counts.Merge(workers, latencies.Total());
    }

    /// <summary>What the workers did: outcomes, retries and the latencies of committed transfers (retries included).</summary>
    public sealed class Counts
    {
        public long Committed { get; private set; }

        public long Retries { get; private set; }

        public long GaveUp { get; private set; }

        public long InDoubt { get; private set; }

        public LatencySummary Latencies { get; private set; }

        public static Counts Merge(IEnumerable<Counts> parts, LatencySummary latencies)
        {
            var all = new Counts { Latencies = latencies };
            foreach (var part in parts)
            {
                all.Committed += part.Committed;
                all.Retries += part.Retries;
                all.GaveUp += part.GaveUp;
                all.InDoubt += part.InDoubt;
            }

            return all;
        }

        public void Add(TransactionOutcome outcome, int retries)
        {
            Retries += retries;
            switch (outcome)
            {
                case TransactionOutcome.Committed:
                    Committed++;
                    break;
                case TransactionOutcome.GaveUp:
                    GaveUp++;
                    break;
                default:
                    InDoubt++;
                    break;
            }
        }
    }
}
