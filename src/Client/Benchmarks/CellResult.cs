namespace Roundabout.Client.Benchmarks;

/// <summary>One system on one workload at one concurrency.</summary>
/// <param name="Failed">Transfers that gave up (could not commit within the give-up time).</param>
/// <param name="InDoubt">Transfers whose outcome the system could not tell.</param>
/// <param name="MeanMs">Mean latency of committed transfers; by Little's law about concurrency / (transfers/s).</param>
/// <param name="MaxMs">The slowest committed transfer: shows stalls (lock time-outs) that p99 can hide.</param>
/// <param name="AuditFound">The sum of all balances after the run; must equal <paramref name="AuditExpected"/>.</param>
public sealed record CellResult(
    string System,
    string Workload,
    int Accounts,
    int Concurrency,
    long Committed,
    long Retries,
    long Failed,
    long InDoubt,
    double ElapsedSeconds,
    double MeanMs,
    double P50Ms,
    double P99Ms,
    double MaxMs,
    double CpuSeconds,
    long AuditExpected,
    long AuditFound)
{
    public double TransfersPerSecond => ElapsedSeconds == 0 ? 0 : Committed / ElapsedSeconds;

    public double CpuMicrosecondsPerTransfer => Committed == 0 ? 0 : CpuSeconds * 1e6 / Committed;

    public bool AuditBalanced => AuditFound == AuditExpected;
}
