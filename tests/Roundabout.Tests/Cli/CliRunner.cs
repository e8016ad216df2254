using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Roundabout.Client;

namespace Roundabout.Tests.Cli;

/// <summary>Runs the `roundabout` command tree in this process and captures what it prints.</summary>
internal static class CliRunner
{
    private static readonly SemaphoreSlim ConsoleGate = new(1, 1);

    public static Task<(int Code, string Output, string Error)> RunAsync(params string[] args) => RunAsync(CancellationToken.None, args);

    /// <param name="cancellationToken">Cancels the command as Ctrl+C would.</param>
    public static Task<(int Code, string Output, string Error)> RunAsync(CancellationToken cancellationToken, params string[] args) =>
        CaptureAsync(() => RoundaboutCli.RunAsync(args, cancellationToken));

    /// <summary>Runs <paramref name="action"/> with standard output and error captured (one console user at a time).</summary>
    public static async Task<(int Code, string Output, string Error)> CaptureAsync(Func<Task<int>> action)
    {
        await ConsoleGate.WaitAsync();
        var (originalOut, originalError) = (Console.Out, Console.Error);
        using var capturedOut = new StringWriter();
        using var capturedError = new StringWriter();
        Console.SetOut(capturedOut);
        Console.SetError(capturedError);
        try
        {
            var code = await action();
            return (code, capturedOut.ToString(), capturedError.ToString());
        }
        finally
        {
            Console.SetOut(originalOut);
            Console.SetError(originalError);
            ConsoleGate.Release();
        }
    }

    /// <summary>
    /// The one error line of a command that refused its input: alone, or followed by the hint
    /// `see roundabout ... --help` (after an option the parser refused).
    /// </summary>
    public static string ErrorLine(string error)
    {
        var lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.InRange(lines.Length, 1, 2);
        Assert.StartsWith("error: ", lines[0], StringComparison.Ordinal);
        if (lines.Length == 2)
        {
            Assert.Matches("^see `roundabout [a-z ]+ --help`$", lines[1]);
        }

        return lines[0];
    }

    /// <summary>
    /// Runs the tool as a process of its own in <paramref name="workingDirectory"/>: for what
    /// depends on the current directory, which tests running in parallel must not change.
    /// </summary>
    public static async Task<(int Code, string Output, string Error)> RunProcessAsync(string workingDirectory, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = workingDirectory };
        start.ArgumentList.Add(ToolAssembly());
        foreach (var argument in args)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var (output, error) = (process.StandardOutput.ReadToEndAsync(), process.StandardError.ReadToEndAsync());
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        return (process.ExitCode, await output, await error);
    }

    /// <summary>
    /// Starts `roundabout` with <paramref name="args"/> as a child process that runs on (a silo), its
    /// output drained and dropped; the caller kills it.
    /// </summary>
    public static Process StartInBackground(string? workingDirectory, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (workingDirectory is not null)
        {
            start.WorkingDirectory = workingDirectory;
        }

        foreach (var argument in (string[])[ToolAssembly(), .. args])
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>Waits until a silo process listens on <paramref name="port"/> (fails if it exits, or after 60 s).</summary>
    public static async Task WaitUntilListeningAsync(Process silo, int port)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            using var probe = new TcpClient();
            try
            {
                await probe.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException)
            {
                Assert.False(silo.HasExited, "the silo exited");
                Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(60), "the silo did not listen within 60 s");
                await Task.Delay(200);
            }
        }
    }

    /// <summary>src/Client's roundabout.dll, built in the test's configuration.</summary>
    public static string ToolAssembly()
    {
        var testOutput = new DirectoryInfo(AppContext.BaseDirectory); // .../tests/Roundabout.Tests/bin/<Configuration>/<tfm>/
        var root = testOutput;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Orleans.sln")))
        {
            root = root.Parent;
        }

        return Path.Combine(root!.FullName, "src", "Client", "bin", testOutput.Parent!.Name, testOutput.Name, "roundabout.dll");
    }
}
