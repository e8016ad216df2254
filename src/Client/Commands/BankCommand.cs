using System.CommandLine;
using System.Diagnostics;
using Roundabout.Accounts;
using Roundabout.Client.Library;
using Roundabout.Client.Workload;
using Roundabout.Storage;
using Roundabout.Transactions;
using Spectre.Console;

namespace Roundabout.Client.Commands;

/// <summary>`roundabout bank init|list|transfer|balance|audit|run`.</summary>
internal static class BankCommand
{
    public static Command Create()
    {
        var command = new Command("bank", "Accounts, transfers and audits");
        command.Subcommands.Add(Init());
        command.Subcommands.Add(List());
        command.Subcommands.Add(Transfer());
        command.Subcommands.Add(Balance());
        command.Subcommands.Add(Audit());
        command.Subcommands.Add(Run());
        return command;
    }

    /// <summary>What opening accounts did: the money it paid in, and what was there already.</summary>
    private static string Opened(int opened, int count, long balance) =>
        $"opened {opened} new {Accounts(opened)}{(opened > 0 ? $" with {balance:N0} each" : "")}; {count - opened} already existed";

    private static string Accounts(int count) => count == 1 ? "account" : "accounts";

    private static Command Init()
    {
        var connection = new ConnectionOptions();
        var accounts = new Option<int>("--accounts") { Description = "How many accounts (account-0 ...)", DefaultValueFactory = _ => 100 }.Count(min: 1);
        var balance = new Option<long>("--balance") { Description = "Opening balance of each new account, in minor units", DefaultValueFactory = _ => 1_000 }.OpeningBalance();
        var command = new Command("init", "Open accounts account-0 .. account-N-1 (existing ones keep what they hold and are not paid again)") { accounts, balance };
        command.RequireTotalFits(accounts, balance);
        connection.AddTo(command);
        command.SetAction((parse, token) => CommandErrors.RunAsync(parse.GetValue(connection.Verbose), token, async () =>
        {
            var count = parse.GetValue(accounts);
            await using var session = await connection.ConnectAsync(parse, token);
            var opened = await new BankDirectory(session.Client).OpenAsync(NumberedAccounts.First(count), parse.GetValue(balance), token);
            Console.WriteLine(Opened(opened, count, parse.GetValue(balance)));
            return CommandErrors.Ok;
        }));
        return command;
    }

    private static Command List()
    {
        var connection = new ConnectionOptions();
        var command = new Command("list", "List the open accounts");
        connection.AddTo(command);
        command.SetAction((parse, token) => CommandErrors.RunAsync(parse.GetValue(connection.Verbose), token, async () =>
        {
            await using var session = await connection.ConnectAsync(parse, token, needsExistingData: true);
            var known = await new BankDirectory(session.Client).GetAccountsAsync();
            Console.WriteLine(known.Count == 0 ? "no accounts; open some with `roundabout bank init`" : string.Join(Environment.NewLine, known));
            return CommandErrors.Ok;
        }));
        return command;
    }

    private static Command Transfer()
    {
        var connection = new ConnectionOptions();
        var from = new Option<string>("--from") { Description = "Account to take the amount from", Required = true }.Key();
        var to = new Option<string>("--to") { Description = "Account to pay it to", Required = true }.Key();
        var amount = new Option<long>("--amount") { Description = "Amount in minor units", Required = true }.Amount();
        var key = new Option<string?>("--key") { Description = "Idempotency key: the transfer takes effect at most once per key" }.Key();
        var isolation = new Option<IsolationLevel?>("--isolation") { Description = "Serializable (default) or Snapshot" };
        var command = new Command("transfer", "Move money between two accounts in one transaction") { from, to, amount, key, isolation };
        command.RequireDifferent(from, to, "accounts");
        connection.AddTo(command);
        command.SetAction((parse, token) => CommandErrors.RunAsync(parse.GetValue(connection.Verbose), token, async () =>
        {
            await using var session = await connection.ConnectAsync(parse, token, needsExistingData: true);
            var (source, target) = (parse.GetValue(from)!, parse.GetValue(to)!);
            await RequireOpenAsync(session.Client, source, target);
            var outcome = await session.Client.TransferAsync(source, target, parse.GetValue(amount), parse.GetValue(key), new RunOptions { Isolation = parse.GetValue(isolation) });
            Console.WriteLine(outcome == TransferOutcome.Applied
                ? $"transferred {parse.GetValue(amount)} from {source} to {target}"
                : $"already transferred {parse.GetValue(amount)} from {source} to {target} by an earlier call with key {parse.GetValue(key)}; nothing changed");
            return CommandErrors.Ok;
        }));
        return command;
    }

    private static Command Balance()
    {
        var connection = new ConnectionOptions();
        var account = new Option<string>("--account") { Description = "The account", Required = true }.Key();
        var command = new Command("balance", "Show an account's balance") { account };
        connection.AddTo(command);
        command.SetAction((parse, token) => CommandErrors.RunAsync(parse.GetValue(connection.Verbose), token, async () =>
        {
            await using var session = await connection.ConnectAsync(parse, token, needsExistingData: true);
            var id = parse.GetValue(account)!;
            await RequireOpenAsync(session.Client, id);
            Console.WriteLine($"{id}: {await session.Client.GetBalanceAsync(id)}");
            return CommandErrors.Ok;
        }));
        return command;
    }

    private static Command Audit()
    {
        var connection = new ConnectionOptions();
        var command = new Command("audit", "Sum every open account in one snapshot");
        connection.AddTo(command);
        command.SetAction((parse, token) => CommandErrors.RunAsync(parse.GetValue(connection.Verbose), token, async () =>
        {
            await using var session = await connection.ConnectAsync(parse, token, needsExistingData: true);
            var known = await new BankDirectory(session.Client).GetAccountsAsync();
            var total = known.Count == 0 ? 0 : await session.Client.AuditAsync(known);
            Console.WriteLine($"{known.Count} accounts, total {total}");
            return CommandErrors.Ok;
        }));
        return command;
    }

    private static Command Run()
    {
        var connection = new ConnectionOptions();
        var accounts = new Option<int>("--accounts") { Description = "Accounts (account-0 ...); those that do not exist yet are opened", DefaultValueFactory = _ => 1_000 }.Count(min: 2);
        var balance = new Option<long>("--balance") { Description = "Opening balance of each account this run opens, in minor units: more than `bank init` gives, so that a hot spot does not run dry (existing accounts keep what they hold)", DefaultValueFactory = _ => 1_000_000 }.OpeningBalance();
        var concurrency = new Option<int>("--concurrency") { Description = "Concurrent transfers", DefaultValueFactory = _ => 64 }.Between(1, () => BankWorkload.MaxConcurrency);
        var seconds = new Option<double>("--duration") { Description = "Seconds", DefaultValueFactory = _ => 10 }.RunSeconds();
        var hotAccounts = new Option<int>("--hot-accounts") { Description = "Size of the hot spot (the first N accounts)", DefaultValueFactory = _ => 0 }.AtLeast(0);
        var hotShare = new Option<double>("--hot-share") { Description = "Share of account picks that go to the hot spot (0..1)", DefaultValueFactory = _ => 0.0 }.Share();
        var isolation = new Option<IsolationLevel?>("--isolation") { Description = "Serializable (default) or Snapshot" };
        var auditShare = new Option<double>("--audit-share") { Description = "Share of operations that are read-only audits (0..1)", DefaultValueFactory = _ => 0.0 }.Share();
        var command = new Command("run", "Drive a transfer workload and print what it did") { accounts, balance, concurrency, seconds, hotAccounts, hotShare, isolation, auditShare };
        command.RequireAtMost(hotAccounts, accounts);
        command.RequireTotalFits(accounts, balance);
        command.Require(hotShare, hotAccounts, together: true, "it is the share of picks that go to the first --hot-accounts accounts, and without it there is no hot spot");
        connection.AddTo(command);
        command.SetAction((parse, token) => CommandErrors.RunAsync(parse.GetValue(connection.Verbose), token, async () =>
        {
            var shape = new WorkloadShape(parse.GetValue(hotAccounts), parse.GetValue(hotShare), parse.GetValue(isolation), parse.GetValue(auditShare));
            var (count, workers, duration) = (parse.GetValue(accounts), parse.GetValue(concurrency), parse.GetValue(seconds));
            await using var session = await connection.ConnectAsync(parse, token);
            var opened = await new BankDirectory(session.Client).OpenAsync(NumberedAccounts.First(count), parse.GetValue(balance), token);
            Console.WriteLine(Opened(opened, count, parse.GetValue(balance)));

            // The audits sum the run's accounts: transfers keep their total whatever else happens
            // in the bank meanwhile (`bank audit` sums the whole bank).
            var workload = new BankWorkload(session.Client.Grains, count, workers, parse.GetValue(balance)) { Shape = shape };
            await workload.TakeExpectedTotalAsync();

            // A console over today's Console.Out: the static AnsiConsole keeps the writer it first
            // saw, which a host running the tool twice in one process (the tests) has closed since.
            var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Out) });
            var elapsed = await RunWithProgressAsync(console, workload, $"{workers} concurrent transfers over {count} accounts", duration, token);

            // The run's numbers are worth printing even when the cluster is gone by the end.
            long? total = null;
            Exception? auditFailure = null;
            try
            {
                total = await workload.AuditAsync();
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                auditFailure = exception;
            }

            console.Write(Summary(workload, elapsed, count, total));
            if (auditFailure is not null)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(auditFailure);
            }

            return total == workload.ExpectedTotal && workload.AuditMismatches == 0 ? CommandErrors.Ok : CommandErrors.Failed;
        }));
        return command;
    }

    /// <summary>Runs the workload for <paramref name="seconds"/> behind a progress bar; returns how long it took.</summary>
    private static async Task<TimeSpan> RunWithProgressAsync(IAnsiConsole console, BankWorkload workload, string description, double seconds, CancellationToken token)
    {
        var stopwatch = Stopwatch.StartNew();
        var run = workload.RunAsync(TimeSpan.FromSeconds(seconds), token);
        await console.Progress()
            .AutoClear(true)
            .StartAsync(async progress =>
            {
                var task = progress.AddTask(description, maxValue: seconds);
                while (!run.IsCompleted)
                {
                    // Not cancelled by the token: on Ctrl+C the workers stop and the run completes.
                    await Task.WhenAny(run, Task.Delay(250, CancellationToken.None));
                    task.Value = Math.Min(seconds, stopwatch.Elapsed.TotalSeconds);
                    task.Description = $"{workload.Committed / Math.Max(0.001, stopwatch.Elapsed.TotalSeconds):F0} transfers/s, {workload.Conflicts} retries";
                }
            });
        await run;
        token.ThrowIfCancellationRequested();
        return stopwatch.Elapsed;
    }

    /// <summary>The run's final table; <paramref name="audited"/> is null when the last audit could not be read.</summary>
    private static Table Summary(BankWorkload workload, TimeSpan elapsed, int accounts, long? audited)
    {
        var latencies = workload.Latencies.Total();
        var table = new Table().AddColumn("measure").AddColumn(new TableColumn("value").RightAligned());
        table.AddRow("transfers committed", $"{workload.Committed:N0}");
        table.AddRow("transfers/s", $"{workload.Committed / elapsed.TotalSeconds:N0}");
        table.AddRow("p50 / p99 latency (ms)", $"{latencies.P50Ms:F1} / {latencies.P99Ms:F1}");
        table.AddRow("conflicts retried", $"{workload.Conflicts:N0}");
        table.AddRow("refused (insufficient funds)", $"{workload.Insufficient:N0}");
        table.AddRow("in doubt", $"{workload.InDoubt:N0}");
        table.AddRow("failed (time-out, silo lost, transient)", $"{workload.Failed:N0}");
        table.AddRow("audits (mismatched)", $"{workload.Audits:N0} ({workload.AuditMismatches})");
        table.AddRow($"audited total of the run's {accounts:N0} accounts", audited is { } total
            ? $"{total:N0} (expected {workload.ExpectedTotal:N0})"
            : $"not read (expected {workload.ExpectedTotal:N0}): see below");
        return table;
    }

    private static async Task RequireOpenAsync(RoundaboutClient client, params string[] accounts)
    {
        IReadOnlyList<string> listed;
        try
        {
            listed = await new BankDirectory(client).GetAccountsAsync();
        }
        catch (Exception exception) when (exception is TimeoutException or OrleansMessageRejectionException or RecordStoreUnavailableException)
        {
            throw new NothingChangedException("Checking that the accounts are open", exception);
        }

        var known = listed.ToHashSet(StringComparer.Ordinal);
        foreach (var account in accounts)
        {
            if (!known.Contains(account))
            {
                throw new UnknownAccountException(account);
            }
        }
    }
}
