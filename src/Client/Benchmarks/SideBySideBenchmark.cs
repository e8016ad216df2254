using System.Diagnostics;

namespace Roundabout.Client.Benchmarks;

/// <summary>
/// The same transfer workloads on each system in turn, each system in a fresh silo: every
/// (workload, concurrency) cell opens its own accounts, warms up, runs, then audits the total.
/// </summary>
public static class SideBySideBenchmark
{
    public static IReadOnlyList<(string Name, int Accounts)> Workloads { get; } = [("uniform", 1000), ("hot", 10)];

    public static IReadOnlyList<int> Concurrencies { get; } = [16, 64, 256];

    /// <summary>A transfer that has not committed after this long counts as failed.</summary>
    public static TimeSpan GiveUpAfter { get; } = TimeSpan.FromSeconds(30);

    /// <param name="cancellationToken">Stops the running cell within moments (its transfers under way finish): no result for it.</param>
    public static async Task<List<CellResult>> RunAsync(IEnumerable<TransactionSystem> systems, TimeSpan duration, Action<CellResult> progress, CancellationToken cancellationToken)
    {
        var results = new List<CellResult>();
        foreach (var system in systems)
        {
            await using var silo = await BenchmarkSilo.StartAsync(system);

            // The JIT first: a cell's own one-second warm-up activates its grains, but the code is
            // still being recompiled for seconds after a silo starts, which made the first cell of
            // each system (uniform x16) a measure of the JIT rather than of the system.
            var warmUp = new TransferWorkload(silo, "jit-warm-up", 1000, GiveUpAfter);
            await warmUp.InitializeAsync(cancellationToken);
            await warmUp.RunAsync(64, BankBenchmark.WarmUp(duration), cancellationToken);

            foreach (var (workload, accounts) in Workloads)
            {
                foreach (var concurrency in Concurrencies)
                {
                    var result = await RunCellAsync(system, silo, workload, accounts, concurrency, duration, cancellationToken);
                    progress(result);
                    results.Add(result);
                }
            }
        }

        return results;
    }

    private static async Task<CellResult> RunCellAsync(TransactionSystem system, BenchmarkSilo silo, string workload, int accounts, int concurrency, TimeSpan duration, CancellationToken cancellationToken)
    {
        var bank = new TransferWorkload(silo, $"{workload}-{concurrency}", accounts, GiveUpAfter);
        await bank.InitializeAsync(cancellationToken);

        // The warm-up activates the grains, so the measured run is steady state; its numbers are dropped.
        await bank.RunAsync(concurrency, TimeSpan.FromSeconds(Math.Min(1, duration.TotalSeconds)), cancellationToken);

        var process = Process.GetCurrentProcess();
        var cpuBefore = process.TotalProcessorTime;
        var stopwatch = Stopwatch.StartNew();
        var counts = await bank.RunAsync(concurrency, duration, cancellationToken);
        var elapsed = stopwatch.Elapsed;
        process.Refresh();
        var cpu = process.TotalProcessorTime - cpuBefore;

        var audited = await bank.AuditAsync();
        return new CellResult(
            system.Name, workload, accounts, concurrency,
            counts.Committed, counts.Retries, counts.GaveUp, counts.InDoubt,
            elapsed.TotalSeconds, counts.Latencies.MeanMs, counts.Latencies.P50Ms, counts.Latencies.P99Ms, counts.Latencies.MaxMs, cpu.TotalSeconds,
            bank.ExpectedTotal, audited);
    }
}
