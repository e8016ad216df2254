using System.CommandLine;
using Roundabout.Client.Benchmarks;

namespace Roundabout.Client.Commands;

/// <summary>`roundabout bench ...`: commands that print numbers.</summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var command = new Command("bench", "Roundabout and Orleans' own transactions side by side on the same transfers; subcommands for other numbers");
        SideBySideCommand.AddTo(command);
        command.Subcommands.Add(CreateStorage());
        command.Subcommands.Add(CreateBank());
        command.Subcommands.Add(CreateCalls());
        return command;
    }

    private static Command CreateBank()
    {
        var data = new Option<string>("--data") { Description = "Scratch directory for the embedded log (deleted and recreated; refused if it holds files a benchmark did not make)", DefaultValueFactory = _ => "./bench-data" }.NonEmptyPath();
        var seconds = new Option<double>("--duration") { Description = "Seconds per run", DefaultValueFactory = _ => 5 }.Seconds();
        var concurrency = new Option<int[]>("--concurrency") { Description = "Concurrent transfers", DefaultValueFactory = _ => [16, 64, 256], AllowMultipleArgumentsPerToken = true }.EachAtLeast(1);
        var verbose = CommandErrors.VerboseOption();
        var command = new Command("bank", "Transfers/s of the bank workload on an embedded silo with the durable log (1,000 accounts and 10 hot ones)")
        {
            data, seconds, concurrency, verbose,
        };
        command.SetAction((parse, token) => CommandErrors.RunAsync(parse.GetValue(verbose), token, async () =>
        {
            var scratch = parse.GetValue(data)!;
            var duration = BenchScratch.Duration(parse.GetValue(seconds));
            return await BenchScratch.UseAsync(scratch, async directory =>
            {
                await using (var silo = await Embedded.EmbeddedSilo.StartAsync(directory, parse.GetValue(verbose), token))
                {
                    Console.WriteLine($"{"workload",-12} {"conc",5} {"transfers/s",12} {"p50 ms",8} {"p99 ms",8} {"retries",8} {"CPU us/transfer",16} {"KB/transfer",12} {"pool items/transfer",20} {"GCs/s",6} {"GC pause %",10}");
                    foreach (var (name, accounts) in new[] { ("uniform", 1000), ("hot", 10) })
                    {
                        foreach (var count in parse.GetValue(concurrency)!)
                        {
                            var result = await BankBenchmark.RunAsync(silo, name, accounts, count, duration, token);
                            Console.WriteLine($"{$"{name}/{accounts}",-12} {count,5} {result.TransfersPerSecond,12:F0} {result.P50Ms,8:F1} {result.P99Ms,8:F1} {result.Retries,8} {result.CpuMicrosecondsPerTransfer,16:F0} {result.KilobytesPerTransfer,12:F1} {result.PoolWorkItemsPerTransfer,20:F1} {result.CollectionsPerSecond,6:F0} {result.GcPausePercent,10:F1}");
                        }
                    }
                }

                return CommandErrors.Ok;
            });
        }));
        return command;
    }

    private static Command CreateStorage()
    {
        var data = new Option<string>("--data") { Description = "Scratch directory for the log (deleted and recreated; refused if it holds files a benchmark did not make)", DefaultValueFactory = _ => "./bench-data" }.NonEmptyPath();
        var seconds = new Option<double>("--duration") { Description = "Seconds per run", DefaultValueFactory = _ => 3 }.Seconds();
        var size = new Option<int>("--record-bytes") { Description = "Bytes per record", DefaultValueFactory = _ => 1024 }.Between(1, () => new Silo.Persistence.GroupCommit.GroupCommitOptions().MaxRecordBytes, " bytes, the most one record of the log can hold");
        var writers = new Option<int[]>("--writers") { Description = "Concurrent writer counts", DefaultValueFactory = _ => [1, 64, 1000], AllowMultipleArgumentsPerToken = true }.EachAtLeast(1);
        var verbose = CommandErrors.VerboseOption();
        var command = new Command("storage", "Records/s and fsyncs/s of the group-commit log, group commit on and off")
        {
            data, seconds, size, writers, verbose,
        };
        command.SetAction((parse, token) => CommandErrors.RunAsync(parse.GetValue(verbose), token, async () =>
        {
            var scratch = parse.GetValue(data)!;
            var duration = BenchScratch.Duration(parse.GetValue(seconds));
            var recordBytes = parse.GetValue(size);
            return await BenchScratch.UseAsync(scratch, async directory =>
            {
                Console.WriteLine($"{"writers",8} {"group commit",13} {"records/s",12} {"fsyncs/s",10} {"records/fsync",14}");
                foreach (var count in parse.GetValue(writers)!)
                {
                    foreach (var groupCommit in new[] { true, false })
                    {
                        var result = await StorageBenchmark.RunAsync(directory, count, groupCommit, recordBytes, duration, token);
                        Console.WriteLine($"{result.Writers,8} {(groupCommit ? "on" : "off"),13} {result.RecordsPerSecond,12:F0} {result.FlushesPerSecond,10:F0} {result.RecordsPerFlush,14:F1}");
                    }
                }

                return CommandErrors.Ok;
            });
        }));
        return command;
    }

    private static Command CreateCalls()
    {
        var data = new Option<string>("--data") { Description = "Scratch directory for the embedded log (deleted and recreated; refused if it holds files a benchmark did not make)", DefaultValueFactory = _ => "./bench-data" }.NonEmptyPath();
        var seconds = new Option<double>("--duration") { Description = "Seconds per run", DefaultValueFactory = _ => 5 }.Seconds();
        var concurrency = new Option<int>("--concurrency") { Description = "Concurrent calls", DefaultValueFactory = _ => 64 }.AtLeast(1);
        var verbose = CommandErrors.VerboseOption();
        var command = new Command("calls", "What one grain call costs here (calls/s, CPU per call): the floor under every transfer")
        {
            data, seconds, concurrency, verbose,
        };
        command.SetAction((parse, token) => CommandErrors.RunAsync(parse.GetValue(verbose), token, async () =>
        {
            var scratch = parse.GetValue(data)!;
            var duration = BenchScratch.Duration(parse.GetValue(seconds));
            var count = parse.GetValue(concurrency);
            return await BenchScratch.UseAsync(scratch, async directory =>
            {
                await using (var silo = await Embedded.EmbeddedSilo.StartAsync(directory, parse.GetValue(verbose), token))
                {
                    var transactions = silo.Transactions;
                    Console.WriteLine($"{"call",-30} {"conc",5} {"calls/s",10} {"CPU us/call",12}");
                    foreach (var (kind, call) in new (string, Func<IPingGrain, Task>)[]
                             {
                                 ("plain grain call", grain => grain.Ping()),
                                 ("empty transaction", grain => grain.PingInTransaction()),
                                 ("transaction joining 2 grains", grain => transactions.RunAsync(() => Task.WhenAll(
                                     grain.PingInCallersTransaction(),
                                     silo.Client.GetGrain<IPingGrain>(grain.GetPrimaryKeyLong() + 1000).PingInCallersTransaction()))),
                                 ("one-round over 2 grains", grain => transactions.RunOneRoundAsync(round =>
                                     [grain.PingInRound(round), silo.Client.GetGrain<IPingGrain>(grain.GetPrimaryKeyLong() + 1000).PingInRound(round)])),
                             })
                    {
                        // The first run warms the code paths up; the second is the one reported.
                        await CallBenchmark.RunAsync(kind, silo.Client, count, BankBenchmark.WarmUp(duration), call, token);
                        var result = await CallBenchmark.RunAsync(kind, silo.Client, count, duration, call, token);
                        Console.WriteLine($"{kind,-30} {count,5} {result.CallsPerSecond,10:F0} {result.CpuMicrosecondsPerCall,12:F1}");
                    }
                }

                return CommandErrors.Ok;
            });
        }));
        return command;
    }
}
