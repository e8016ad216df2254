using System.CommandLine;
using System.CommandLine.Help;
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

    /// <summary>How long a command has after Ctrl+C or SIGTERM to stop its silo (closing the log) before the process exits anyway.</summary>
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(10);

    /// <param name="cancellationToken">Cancels the command as Ctrl+C does (for a host that embeds the tool, and tests).</param>
    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken = default)
    {
        using var signals = new StopSignals(cancellationToken);
        return await RunAsync(Create(), args, signals, StopTimeout);
    }

    /// <summary>
    /// Runs a command of <paramref name="commands"/> until it ends, or until <paramref name="stopTimeout"/>
    /// after a signal: tests give a command that does not stop, and a shorter time to wait for it.
    /// </summary>
    internal static async Task<int> RunAsync(RootCommand commands, string[] args, StopSignals signals, TimeSpan stopTimeout)
    {
        // No response files: an argument that starts with @ (a key, a value, an account id) is
        // taken as it is, never as the name of a file to read more arguments from.
        var parse = commands.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        if (parse.Action is ParseErrorAction)
        {
            return LacksOnlyItsVerb(parse) ? ShowHelp(parse) : ReportParseErrors(parse);
        }

        // The signals are handled here, not by System.CommandLine (no ProcessTerminationTimeout): its
        // handler keeps to itself which signal arrived, so a command that stopped in time exited 130 for both.
        var command = parse.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null }, signals.Token);
        if (await Task.WhenAny(command, signals.Received) != command)
        {
            await Task.WhenAny(command, Task.Delay(stopTimeout));
        }

        var code = command.IsCompleted ? await command : CommandErrors.Cancelled;
        // A command says only that it was cancelled; which signal did it is known here.
        return code == CommandErrors.Cancelled ? signals.CancelledExitCode : code;
    }

    /// <summary>
    /// `roundabout` (or `roundabout bank`) with nothing after it: no verb is the only thing wrong,
    /// and what the person needs is the list of verbs, not "Required command was not provided".
    /// </summary>
    private static bool LacksOnlyItsVerb(ParseResult parse) =>
        parse.Errors is [{ SymbolResult: var result }]
        && result == parse.CommandResult
        && parse.CommandResult.Command is { Action: null, Subcommands.Count: > 0 };

    /// <summary>The command's help, as `--help` prints it; still a usage error (exit 2) for a script.</summary>
    private static int ShowHelp(ParseResult parse)
    {
        new HelpAction().Invoke(parse);
        return CommandErrors.BadInput;
    }

    /// <summary>
    /// A bad option value is bad input like any other (exit 2, the errors on their own lines),
    /// not the whole help text after the error.
    /// </summary>
    private static int ReportParseErrors(ParseResult parse)
    {
        // An unknown verb also leaves its parent without one: "Required command was not provided"
        // beside "Unrecognized command or argument 'bogus'" only misleads, so the first goes.
        bool MissingVerbBesideUnknownOne(System.CommandLine.Parsing.ParseError error) =>
            parse.UnmatchedTokens.Count > 0
            && error.SymbolResult == parse.CommandResult
            && parse.CommandResult.Command is { Action: null, Subcommands.Count: > 0 }
            && !parse.UnmatchedTokens.Any(token => error.Message.Contains(token, StringComparison.Ordinal));

        foreach (var error in parse.Errors.Where(error => !MissingVerbBesideUnknownOne(error)))
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
