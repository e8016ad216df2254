using System.Diagnostics;
using Roundabout.Client.Embedded;
using Roundabout.Client.Workload;

namespace Roundabout.Client.Benchmarks;

/// <summary>The bank workload on an embedded silo with the durable log: transfers/s, latency, CPU per transfer.</summary>
public static class BankBenchmark
{
    public sealed record Result(string Workload, int Accounts, int Concurrency, long Committed, long Retries, TimeSpan Elapsed, double P50Ms, double P99Ms, TimeSpan Cpu, long AllocatedBytes, long PoolWorkItems, int Collections, TimeSpan GcPauses)
    {
        public double TransfersPerSecond => Committed / Elapsed.TotalSeconds;

        public double CpuMicrosecondsPerTransfer => Committed == 0 ? 0 : Cpu.TotalMicroseconds / Committed;

        /// <summary>Managed memory allocated per committed transfer (silo and load generator together): what the GC has to clear.</summary>
        public double KilobytesPerTransfer => Committed == 0 ? 0 : AllocatedBytes / 1024.0 / Committed;

        /// <summary>
        /// Thread-pool work items per committed transfer: each is a trip through a scheduler (a grain
        /// turn, a continuation after a flush or a reply). Unlike CPU time on a shared machine, it
        /// does not move from run to run, so it shows what a protocol change saves.
        /// </summary>
        public double PoolWorkItemsPerTransfer => Committed == 0 ? 0 : (double)PoolWorkItems / Committed;

        /// <summary>Garbage collections (of any generation) per second: how often the GC's budget ran out.</summary>
        public double CollectionsPerSecond => Collections / Elapsed.TotalSeconds;

        /// <summary>The share of the run's wall-clock time that the GC held every thread paused.</summary>
        public double GcPausePercent => 100 * GcPauses / Elapsed;
    }

    /// <param name="cancellationToken">Stops the run within moments (its transfers under way finish): no result for it.</param>
    public static async Task<Result> RunAsync(EmbeddedSilo silo, string workload, int accounts, int concurrency, TimeSpan duration, CancellationToken cancellationToken)
    {
        var bank = new BankWorkload(silo.Client, accounts, concurrency, initialBalance: 1_000_000);
        await bank.InitializeAsync(cancellationToken);

        // A warm-up activates the grains and fills the caches, so the run measures steady state.
        await new BankWorkload(silo.Client, accounts, concurrency, 1_000_000).RunAsync(WarmUp(duration), cancellationToken);

        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var allocatedBefore = GC.GetTotalAllocatedBytes();
        var workItemsBefore = ThreadPool.CompletedWorkItemCount;
        var collectionsBefore = GC.CollectionCount(0);
        var pausedBefore = GC.GetTotalPauseDuration();
        var stopwatch = Stopwatch.StartNew();
        await bank.RunAsync(duration, cancellationToken);
        cancellationToken.ThrowIfCancellationRequested();
        var elapsed = stopwatch.Elapsed;
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
        var allocated = GC.GetTotalAllocatedBytes() - allocatedBefore;
        var workItems = ThreadPool.CompletedWorkItemCount - workItemsBefore;
        var collections = GC.CollectionCount(0) - collectionsBefore;
        var paused = GC.GetTotalPauseDuration() - pausedBefore;

        var audited = await bank.AuditAsync();
        if (audited != bank.ExpectedTotal)
        {
            throw new InvalidOperationException($"The audit found {audited}, not {bank.ExpectedTotal}: the benchmark's transfers broke the invariant.");
        }

        var latencies = bank.Latencies.Total();
        return new Result(workload, accounts, concurrency, bank.Committed, bank.Conflicts, elapsed, latencies.P50Ms, latencies.P99Ms, cpu, allocated, workItems, collections, paused);
    }

    /// <summary>
    /// Eight seconds, or for a run shorter than two seconds (a smoke test) the run's own length.
    /// Two seconds were not enough on 2 cores: the JIT was still promoting hot code, and in five
    /// alternating pairs (2026-11-29) uniform x64 did 14,158/s on average after 2 s of warm-up and
    /// 16,507/s after 8 s, the longer one ahead in four pairs of five.
    /// </summary>
    internal static TimeSpan WarmUp(TimeSpan duration) => duration < TimeSpan.FromSeconds(2) ? duration : TimeSpan.FromSeconds(8);
}
