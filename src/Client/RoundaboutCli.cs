using System.CommandLine;
using System.CommandLine.Invocation;
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

    /// <param name="cancellationToken">Cancels the command as Ctrl+C does (for a host that embeds the tool, and tests).</param>
    public static Task<int> RunAsync(string[] args, CancellationToken cancellationToken = default)
    {
        var parse = Create().Parse(args);
        if (parse.Action is ParseErrorAction)
        {
            return Task.FromResult(ReportParseErrors(parse));
        }

        // On Ctrl+C or SIGTERM System.CommandLine cancels the command's token, then waits this long
        // for the command to stop its silo (closing the log) before it gives up and exits anyway.
        return parse.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(10) }, cancellationToken);
    }

    /// <summary>
    /// A bad option value is bad input like any other (exit 2, the errors on their own lines),
    /// not the whole help text after the error.
    /// </summary>
    private static int ReportParseErrors(ParseResult parse)
    {
        foreach (var error in parse.Errors)
        {
            Console.Error.WriteLine($"error: {error.Message}");
        }

        var path = new List<string>();
        for (var result = parse.CommandResult; result is not null; result = result.Parent as System.CommandLine.Parsing.CommandResult)
        {
            path.Insert(0, result.Command is RootCommand ? "roundabout" : result.Command.Name);
        }

        Console.Error.WriteLine($"see `{string.Join(' ', path)} --help`");
        return CommandErrors.BadInput;
    }
}
