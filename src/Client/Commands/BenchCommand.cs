using System.CommandLine;
using Roundabout.Client.Benchmarks;

namespace Roundabout.Client.Commands;

/// <summary>`roundabout bench ...`: commands that print numbers.</summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var command = new Command("bench", "Benchmarks that print numbers");
        command.Subcommands.Add(CreateStorage());
        return command;
    }

    private static Command CreateStorage()
    {
        var data = new Option<string>("--data") { Description = "Scratch directory for the log (deleted and recreated)", DefaultValueFactory = _ => "./bench-data" };
        var seconds = new Option<double>("--duration") { Description = "Seconds per run", DefaultValueFactory = _ => 3 };
        var size = new Option<int>("--record-bytes") { Description = "Bytes per record", DefaultValueFactory = _ => 1024 };
        var writers = new Option<int[]>("--writers") { Description = "Concurrent writer counts", DefaultValueFactory = _ => [1, 64, 1000], AllowMultipleArgumentsPerToken = true };
        var command = new Command("storage", "Records/s and fsyncs/s of the group-commit log, group commit on and off")
        {
            data, seconds, size, writers,
        };
        command.SetAction(async (parse, _) =>
        {
            var directory = parse.GetValue(data)!;
            var duration = TimeSpan.FromSeconds(parse.GetValue(seconds));
            var recordBytes = parse.GetValue(size);
            if (duration <= TimeSpan.Zero || recordBytes <= 0)
            {
                Console.Error.WriteLine("--duration and --record-bytes must be positive.");
                return 2;
            }

            Console.WriteLine($"{"writers",8} {"group commit",13} {"records/s",12} {"fsyncs/s",10} {"records/fsync",14}");
            foreach (var count in parse.GetValue(writers)!)
            {
                foreach (var groupCommit in new[] { true, false })
                {
                    var result = await StorageBenchmark.RunAsync(directory, count, groupCommit, recordBytes, duration);
                    Console.WriteLine($"{result.Writers,8} {(groupCommit ? "on" : "off"),13} {result.RecordsPerSecond,12:F0} {result.FlushesPerSecond,10:F0} {result.RecordsPerFlush,14:F1}");
                }
            }

            Directory.Delete(directory, recursive: true);
            return 0;
        });
        return command;
    }
}
