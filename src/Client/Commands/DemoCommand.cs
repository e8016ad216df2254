using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Roundabout.Client.Embedded;
using Roundabout.Client.Library;
using Roundabout.Client.Workload;

namespace Roundabout.Client.Commands;

/// <summary>`roundabout demo`: an embedded silo and a few seconds of bank transfers.</summary>
internal static class DemoCommand
{
    /// <summary>What the demo pays into each account it opens.</summary>
    private const long OpeningBalance = 1_000;

    public static Command Create()
    {
        var duration = new Option<double>("--duration") { Description = "Seconds of load", DefaultValueFactory = _ => 5 }.RunSeconds();
        var accounts = new Option<int>("--accounts") { Description = "Accounts the transfers use (account-0 ...); those the bank does not have yet are opened with 1000 each", DefaultValueFactory = _ => 100 }.Count(min: 2);
        var concurrency = new Option<int>("--concurrency") { Description = "Concurrent transfers", DefaultValueFactory = _ => 32 }.Between(1, () => BankWorkload.MaxConcurrency);
        var data = new Option<string>("--data") { Description = "Data directory of the embedded log", DefaultValueFactory = _ => "./data" }.NonEmptyPath();
        var verbose = CommandErrors.VerboseOption();
        var command = new Command("demo", "Start an embedded silo and run a bank-transfer demo (the bank of `roundabout bank` on the same --data; the audits sum all its accounts)")
        {
            duration, accounts, concurrency, data, verbose,
        };
        command.SetAction((parse, cancellationToken) => CommandErrors.RunAsync(parse.GetValue(verbose), cancellationToken, () =>
            RunAsync(parse.GetValue(duration), parse.GetValue(accounts), parse.GetValue(concurrency), parse.GetValue(data)!, parse.GetValue(verbose), cancellationToken)));
        return command;
    }

    private static async Task<int> RunAsync(double seconds, int accounts, int concurrency, string data, bool verbose, CancellationToken cancellationToken)
    {
        Console.WriteLine($"Starting an embedded silo on the durable log in {Path.GetFullPath(data)}");
        await using var silo = await EmbeddedSilo.StartAsync(data, verbose, cancellationToken);
        // The demo's accounts are the bank's (`roundabout bank` on the same --data sees them), and
        // its audits sum the whole bank: money the bank holds in accounts this run does not use
        // (opened by a larger demo, or by `bank init`) is still counted, and nothing looks lost.
        var directory = new BankDirectory(silo.Roundabout);
        var opened = await directory.OpenAsync(NumberedAccounts.First(accounts), OpeningBalance, cancellationToken);
        var bank = (await directory.GetAccountsAsync()).ToArray();
        var workload = new BankWorkload(silo.Client, accounts, concurrency, OpeningBalance) { AuditedAccounts = bank };
        var bankTotal = await workload.TakeExpectedTotalAsync();
        Console.WriteLine(opened == accounts && bank.Length == accounts
            ? $"Opened {accounts} accounts with {OpeningBalance} each ({bankTotal} in total)."
            : $"{Found(accounts - opened, accounts)}{(opened > 0 ? $"; opened {opened} new ones with {OpeningBalance} each" : "")}. "
              + $"The bank has {bank.Length} accounts holding {bankTotal} in total{(bank.Length > accounts ? $"; transfers use the first {accounts}, the audits sum all {bank.Length}" : "")}.");
        Console.WriteLine($"Running {concurrency} concurrent transfers for {seconds.ToString(CultureInfo.InvariantCulture)} s; a snapshot audit every second:");

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
            var recent = workload.Latencies.TakeInterval();
            Console.WriteLine($"  {second,5:F1} s  {(workload.Committed - committedBefore) / (second - secondBefore),7:F0} transfers/s  p50 {recent.P50Ms,5:F1} ms  p99 {recent.P99Ms,6:F1} ms  retries {workload.Conflicts,6}  audited total {total}");
            (committedBefore, secondBefore) = (workload.Committed, second);
        }

        await run;
        cancellationToken.ThrowIfCancellationRequested();
        var elapsed = stopwatch.Elapsed.TotalSeconds;
        var finalTotal = await workload.AuditAsync();
        Console.WriteLine();
        Console.WriteLine($"transfers committed : {workload.Committed} ({workload.Committed / elapsed:F0}/s)");
        var all = workload.Latencies.Total();
        Console.WriteLine($"latency p50 / p99   : {all.P50Ms:F1} / {all.P99Ms:F1} ms");
        Console.WriteLine($"conflicts retried   : {workload.Conflicts}");
        Console.WriteLine($"insufficient funds  : {workload.Insufficient}");
        Console.WriteLine($"in doubt            : {workload.InDoubt}");
        Console.WriteLine($"failed (transient)  : {workload.Failed + auditsFailed}");
        Console.WriteLine($"audited total       : {finalTotal} (expected {workload.ExpectedTotal}; {audits} audits, {auditsOff} off)");
        return finalTotal == workload.ExpectedTotal && auditsOff == 0 ? CommandErrors.Ok : CommandErrors.Failed;
    }

    private static string Found(int existed, int accounts) =>
        existed == accounts ? $"Found the {accounts} accounts of an earlier run" : $"Found {existed} of the {accounts} accounts in the bank";
}
