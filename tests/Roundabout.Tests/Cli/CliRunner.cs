using Roundabout.Client;

namespace Roundabout.Tests.Cli;

/// <summary>Runs the `roundabout` command tree in this process and captures what it prints.</summary>
internal static class CliRunner
{
    private static readonly SemaphoreSlim ConsoleGate = new(1, 1);

    public static Task<(int Code, string Output, string Error)> RunAsync(params string[] args) => RunAsync(CancellationToken.None, args);

    /// <param name="cancellationToken">Cancels the command as Ctrl+C would.</param>
    public static async Task<(int Code, string Output, string Error)> RunAsync(CancellationToken cancellationToken, params string[] args)
    {
        await ConsoleGate.WaitAsync();
        var (originalOut, originalError) = (Console.Out, Console.Error);
        using var capturedOut = new StringWriter();
        using var capturedError = new StringWriter();
        Console.SetOut(capturedOut);
        Console.SetError(capturedError);
        try
        {
            var code = await RoundaboutCli.RunAsync(args, cancellationToken);
            return (code, capturedOut.ToString(), capturedError.ToString());
        }
        finally
        {
            Console.SetOut(originalOut);
            Console.SetError(originalError);
            ConsoleGate.Release();
        }
    }
}
