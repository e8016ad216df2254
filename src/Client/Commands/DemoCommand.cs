using System.CommandLine;
using System.Diagnostics;
using Roundabout.Client.Embedded;
using Roundabout.Client.Workload;

namespace Roundabout.Client.Commands;

/// <summary>`roundabout demo`: an embedded silo and a few seconds of bank transfers.</summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var duration = new Option<int>("--duration") { Description = "Seconds of load", DefaultValueFactory = _ => 5 }.AtLeast(1, " second");
        var accounts = new Option<int>("--accounts") { Description = "Number of accounts", DefaultValueFactory = _ => 100 }.AtLeast(2);
        var concurrency = new Option<int>("--concurrency") { Description = "Concurrent transfers", DefaultValueFactory = _ => 32 }.AtLeast(1);
        var data = new Option<string>("--data") { Description = "Data directory of the embedded log", DefaultValueFactory = _ => "./data" }.NonEmptyPath();
        var verbose = CommandErrors.VerboseOption();
        var command = new Command("demo", "Start an embedded silo and run a bank-transfer demo")
        {
            duration, accounts, concurrency, data, verbose,
        };
        command.SetAction((parse, cancellationToken) => CommandErrors.RunAsync(parse.GetValue(verbose), cancellationToken, () =>
            RunAsync(parse.GetValue(duration), parse.GetValue(accounts), parse.GetValue(concurrency), parse.GetValue(data)!, parse.GetValue(verbose), cancellationToken)));
        return command;
    }

    private static async Task<int> RunAsync(int seconds, int accounts, int concurrency, string data, bool verbose, CancellationToken cancellationToken)
    {
        Console.WriteLine($"Starting an embedded silo on the durable log in {Path.GetFullPath(data)}");
        await using var silo = await EmbeddedSilo.StartAsync(data, cancellationToken, verbose);
        var workload = new BankWorkload(silo.Client, accounts, concurrency, initialBalance: 1_000, retryConflicts: true);
        var existed = await workload.InitializeAsync();
        Console.WriteLine(existed
            ? $"Found the accounts of an earlier run: {accounts} accounts holding {workload.ExpectedTotal} in total."
            : $"Opened {accounts} accounts with 1000 each ({workload.ExpectedTotal} in total).");
        Console.WriteLine($"Running {concurrency} concurrent transfers for {seconds} s; a snapshot audit every second:");

        var stopwatch = Stopwatch.StartNew();
        var run = workload.RunAsync(TimeSpan.FromSeconds(seconds), cancellationToken);
        var audits = 0;
        var auditsOff = 0;
        var auditsFailed = 0;
        var (committedBefore, secondBefore) = (0L, 0.0);
        while (!run.IsCompleted)
        {
            // Not cancelled by the token: on Ctrl+C the workers stop and the run completes.
            await Task.WhenAny(run, Task.Delay(1_000, CancellationToken.None));
            if (cancellationToken.IsCancellationRequested)
            {
                break;
            }

            string total;
            try
            {
                var audited = await workload.AuditAsync();
                audits++;
                auditsOff += audited == workload.ExpectedTotal ? 0 : 1;
                total = $"{audited}";
            }
            catch (Exception exception) when (exception is TimeoutException or Orleans.Transactions.OrleansTransactionTransientFailureException)
            {
                // A passing failure of one audit (a time-out, a snapshot too old) is shown, not fatal.
                auditsFailed++;
                total = $"not read ({exception.GetType().Name})";
            }

            var second = stopwatch.Elapsed.TotalSeconds;
            var latencies = workload.LatenciesMs;
            var recent = latencies[Math.Max(0, latencies.Length - (int)(workload.Committed - committedBefore))..];
            Array.Sort(recent);
            Console.WriteLine($"  {second,5:F1} s  {(workload.Committed - committedBefore) / (second - secondBefore),7:F0} transfers/s  p50 {Percentile(recent, 0.5),5:F1} ms  p99 {Percentile(recent, 0.99),6:F1} ms  retries {workload.Conflicts,6}  audited total {total}");
            (committedBefore, secondBefore) = (workload.Committed, second);
        }

        await run;
        cancellationToken.ThrowIfCancellationRequested();
        var elapsed = stopwatch.Elapsed.TotalSeconds;
        var finalTotal = await workload.AuditAsync();
        Console.WriteLine();
        Console.WriteLine($"transfers committed : {workload.Committed} ({workload.Committed / elapsed:F0}/s)");
        var all = workload.LatenciesMs;
        Array.Sort(all);
        Console.WriteLine($"latency p50 / p99   : {Percentile(all, 0.5):F1} / {Percentile(all, 0.99):F1} ms");
        Console.WriteLine($"conflicts retried   : {workload.Conflicts}");
        Console.WriteLine($"insufficient funds  : {workload.Insufficient}");
        Console.WriteLine($"in doubt            : {workload.InDoubt}");
        Console.WriteLine($"failed (transient)  : {workload.Failed + auditsFailed}");
        Console.WriteLine($"audited total       : {finalTotal} (expected {workload.ExpectedTotal}; {audits} audits, {auditsOff} off)");
        return finalTotal == workload.ExpectedTotal && auditsOff == 0 ? 0 : 1;
    }

    private static double Percentile(double[] sorted, double fraction) =>
        sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)(fraction * sorted.Length))];
}
