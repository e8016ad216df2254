using System.CommandLine;
using Roundabout.Client.Commands;

namespace Roundabout.Client;

/// <summary>The `roundabout` command tree; Program runs it, tests invoke it in-process.</summary>
public static class RoundaboutCli
{
    public static RootCommand Create() => new("Roundabout: MVCC transactions for Orleans")
    {
        DemoCommand.Create(),
        BankCommand.Create(),
        RecordsCommand.Create(),
        SiloCommand.Create(),
        BenchCommand.Create(),
    };

    public static Task<int> RunAsync(string[] args) => Create().Parse(args).InvokeAsync();
}
