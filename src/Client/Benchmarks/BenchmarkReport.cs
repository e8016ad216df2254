using System.Text.Json;
using System.Text.Json.Serialization;

namespace Roundabout.Client.Benchmarks;

/// <summary>Both systems side by side: a console table and a JSON file with every number.</summary>
public sealed record BenchmarkReport(MachineFacts Before, MachineFacts After, double SecondsPerCell, double GiveUpSeconds, long InitialBalance, Dictionary<string, string> Storage, List<BenchmarkReport.Row> Rows)
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase, NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    public bool AllAuditsBalanced => Rows.All(row => row.Roundabout.AuditBalanced && row.Orleans.AuditBalanced);

    public static BenchmarkReport Create(MachineFacts before, IEnumerable<TransactionSystem> systems, IReadOnlyList<CellResult> cells, TimeSpan duration)
    {
        var rows = cells.Where(cell => cell.System == "Roundabout")
            .Select(r => new Row(r.Workload, r.Accounts, r.Concurrency, r, cells.Single(o => o.System == "Orleans" && o.Workload == r.Workload && o.Concurrency == r.Concurrency)))
            .ToList();
        return new BenchmarkReport(
            before, MachineFacts.Now(), duration.TotalSeconds, SideBySideBenchmark.GiveUpAfter.TotalSeconds, TransferWorkload.InitialBalance,
            systems.ToDictionary(system => system.Name, system => system.Storage), rows);
    }

    public void WriteTable(TextWriter output)
    {
        output.WriteLine($"{"",-17}| {"transfers/s",-30}| {"p50 ms",-18}| {"p99 ms",-18}| {"CPU us/transfer",-26}| {"retries",-18}| {"failed",-13}");
        output.WriteLine($"{"workload",-12}{"conc",5}| {"Roundabout",10}{"Orleans",10}{"R/O",9} | {"Roundab.",8}{"Orleans",9} | {"Roundab.",8}{"Orleans",9} | {"Roundab.",8}{"Orleans",9}{"R/O",8} | {"Roundab.",8}{"Orleans",9} | {"R.",5}{"O.",7}");
        foreach (var row in Rows)
        {
            var (r, o) = (row.Roundabout, row.Orleans);
            output.WriteLine(
                $"{$"{row.Workload}/{row.Accounts}",-12}{row.Concurrency,5}| {r.TransfersPerSecond,10:F0}{o.TransfersPerSecond,10:F0}{Ratio(row.ThroughputRatio),9} " +
                $"| {r.P50Ms,8:F1}{o.P50Ms,9:F1} | {r.P99Ms,8:F1}{o.P99Ms,9:F1} " +
                $"| {r.CpuMicrosecondsPerTransfer,8:F0}{o.CpuMicrosecondsPerTransfer,9:F0}{Ratio(row.CpuRatio),8} " +
                $"| {r.Retries,8}{o.Retries,9} | {r.Failed + r.InDoubt,5}{o.Failed + o.InDoubt,7}");
        }

        output.WriteLine();
        output.WriteLine($"R/O = Roundabout / Orleans. {SecondsPerCell:0.#} s per cell after a warm-up; retries = aborted attempts rerun; failed = not committed within {GiveUpSeconds:0} s (or in doubt).");
        foreach (var (system, storage) in Storage)
        {
            output.WriteLine($"{system}: {storage}");
        }

        output.WriteLine($"{Before.ProcessorCount} processors, {Before.Os}, {Before.Runtime}; load average {Before.LoadAverage} before, {After.LoadAverage} after.");
        foreach (var cell in Rows.SelectMany(row => new[] { row.Roundabout, row.Orleans }).Where(cell => !cell.AuditBalanced))
        {
            output.WriteLine($"!!! AUDIT FAILED: {cell.System} {cell.Workload}/{cell.Accounts} x{cell.Concurrency}: the balances sum to {cell.AuditFound}, not {cell.AuditExpected} ({cell.AuditFound - cell.AuditExpected:+#;-#}).");
        }

        if (AllAuditsBalanced)
        {
            output.WriteLine("Audits: every run ended with the total it started with.");
        }
    }

    public async Task WriteJsonAsync(string path)
    {
        await using var file = File.Create(path);
        await JsonSerializer.SerializeAsync(file, this, Json);
    }

    private static string Ratio(double ratio) => double.IsFinite(ratio) ? $"{ratio:F2}x" : "-";

    /// <summary>One workload at one concurrency on both systems.</summary>
    public sealed record Row(string Workload, int Accounts, int Concurrency, CellResult Roundabout, CellResult Orleans)
    {
        /// <summary>Roundabout's transfers/s over Orleans'.</summary>
        public double ThroughputRatio => Roundabout.TransfersPerSecond / Orleans.TransfersPerSecond;

        /// <summary>Roundabout's CPU per transfer over Orleans'.</summary>
        public double CpuRatio => Roundabout.CpuMicrosecondsPerTransfer / Orleans.CpuMicrosecondsPerTransfer;
    }
}
