using System.CommandLine;
using Roundabout.Client.Benchmarks;

namespace Roundabout.Client.Commands;

/// <summary>
/// `roundabout bench`: the transfer workload on Roundabout (durable embedded log) and on Orleans'
/// built-in transactions (in-memory storage), one after the other, side by side.
/// </summary>
internal static class SideBySideCommand
{
    public static void AddTo(Command bench)
    {
        var data = new Option<string>("--data") { Description = "Scratch directory for Roundabout's log (deleted and recreated; refused if it holds files a benchmark did not make)", DefaultValueFactory = _ => "./bench-data" }.NonEmptyPath();
        var seconds = new Option<double>("--duration") { Description = "Seconds per cell (each workload and concurrency, each system)", DefaultValueFactory = _ => 5 }.Seconds();
        var quick = new Option<bool>("--quick") { Description = "1-second cells, for a smoke test" };
        var json = new Option<string?>("--json") { Description = "Also write every number and the machine's facts to this JSON file" };
        bench.Options.Add(data);
        bench.Options.Add(seconds);
        bench.Options.Add(quick);
        bench.Options.Add(json);
        var verbose = CommandErrors.VerboseOption();
        bench.Options.Add(verbose);
        bench.SetAction((parse, token) => CommandErrors.RunAsync(parse.GetValue(verbose), token, async () =>
        {
            var scratch = parse.GetValue(data)!;
            var duration = BenchScratch.Duration(parse.GetValue(quick) ? 1 : parse.GetValue(seconds));
            if (parse.GetValue(json) is { } reportPath)
            {
                // Checked now: the report is written after minutes of benchmark.
                BenchScratch.RequireWritableFile(reportPath);
            }

            var (systems, before, cells) = await BenchScratch.UseAsync(scratch, async directory =>
            {
                var systems = new[] { TransactionSystem.Roundabout(directory), TransactionSystem.Orleans };
                var before = MachineFacts.Now();
                Console.WriteLine($"Transfers on {string.Join(" and ", systems.Select(s => s.Name))}, {duration.TotalSeconds:0.#} s per cell; load average {before.LoadAverage}.");
                var cells = await SideBySideBenchmark.RunAsync(systems, duration, cell => Console.WriteLine(
                    $"  {cell.System,-10} {$"{cell.Workload}/{cell.Accounts}",-12} x{cell.Concurrency,-4} {cell.TransfersPerSecond,8:F0} transfers/s, p99 {cell.P99Ms,7:F1} ms, {cell.Retries} retries, {cell.Failed + cell.InDoubt} failed{(cell.AuditBalanced ? "" : "  !!! AUDIT FAILED")}"),
                    token);
                return (systems, before, cells);
            });

            var report = BenchmarkReport.Create(before, systems, cells, duration);
            Console.WriteLine();
            report.WriteTable(Console.Out);
            if (parse.GetValue(json) is { } path)
            {
                await report.WriteJsonAsync(path);
                Console.WriteLine($"Wrote {Path.GetFullPath(path)}");
            }

            return report.AllAuditsBalanced ? CommandErrors.Ok : CommandErrors.Failed;
        }));
    }
}
