using System.Diagnostics;

namespace Roundabout.Tests.Infrastructure;

/// <summary>
/// Runs PostgreSQL's programs for the tests. initdb and postgres refuse to run as root, so when the
/// tests run as root (CI containers do) every program runs as the postgres OS user through runuser.
/// </summary>
internal static class PostgresPrograms
{
    /// <summary>Generous for a tiny cluster, but it bounds a hung program instead of hanging the test run.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private static readonly Lazy<bool> IsRootLazy = new(DetectRoot);

    public static bool IsRoot => IsRootLazy.Value;

    /// <summary>
    /// The newest /usr/lib/postgresql/&lt;version&gt;/bin that has initdb, pg_ctl and postgres (Debian's
    /// layout: the server programs are not on PATH).
    /// </summary>
    public static string FindBinDirectory()
    {
        const string root = "/usr/lib/postgresql";
        string[] required = ["initdb", "pg_ctl", "postgres"];
        var candidates = Directory.Exists(root)
            ? Directory.GetDirectories(root)
                .Select(version => (Version: int.TryParse(Path.GetFileName(version), out var v) ? v : -1, Bin: Path.Combine(version, "bin")))
                .OrderByDescending(c => c.Version)
                .ToList()
            : [];
        foreach (var (_, bin) in candidates)
        {
            if (required.All(program => File.Exists(Path.Combine(bin, program))))
            {
                return bin;
            }
        }

        var found = candidates.Count == 0
            ? $"{root} does not exist or has no versions"
            : string.Join("; ", candidates.Select(c => $"{c.Bin} lacks {string.Join(", ", required.Where(p => !File.Exists(Path.Combine(c.Bin, p))))}"));
        throw new InvalidOperationException(
            $"The PostgreSQL tests need initdb, pg_ctl and postgres under {root}/<version>/bin ({found}). " +
            "Install them with: apt-get install postgresql");
    }

    /// <summary>
    /// Runs <paramref name="program"/> (as postgres when root) and returns its standard output;
    /// throws with its exit code, standard error and standard output when it fails or times out.
    /// </summary>
    public static async Task<string> RunAsync(string program, IEnumerable<string> arguments, string workingDirectory, TimeSpan? timeout = null)
    {
        var result = await TryRunAsync(program, arguments, workingDirectory, timeout);
        return result.ExitCode == 0
            ? result.StandardOutput
            : throw new InvalidOperationException($"{result.CommandLine} failed: {result.Describe()}");
    }

    public static async Task<ProgramResult> TryRunAsync(string program, IEnumerable<string> arguments, string workingDirectory, TimeSpan? timeout = null)
    {
        var args = arguments.ToList();
        var start = IsRoot ? Start("runuser", ["-u", "postgres", "--", program, .. args]) : Start(program, args);

        // A postgres user cannot enter root's working directory; the tests' own directory it can.
        start.WorkingDirectory = workingDirectory;
        return await RunProcessAsync(start, timeout ?? Timeout);
    }

    /// <summary>Runs a program as the current user (chown is the one that must not go through runuser).</summary>
    public static async Task RunAsCurrentUserAsync(string program, IEnumerable<string> arguments)
    {
        var start = Start(program, arguments);
        var result = await RunProcessAsync(start, Timeout);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"{result.CommandLine} failed: {result.Describe()}");
        }
    }

    private static ProcessStartInfo Start(string program, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // A developer's PGOPTIONS, PGSSLMODE, PGPASSFILE... must not change how the tests talk to their private server.
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("PG", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(name);
        }

        return start;
    }

    private static async Task<ProgramResult> RunProcessAsync(ProcessStartInfo start, TimeSpan timeout)
    {
        var commandLine = string.Join(' ', [start.FileName, .. start.ArgumentList]);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {commandLine}.");

        // Nothing here reads standard input; closing it makes a program that asks for a password fail instead of wait.
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            throw new TimeoutException($"{commandLine} did not finish within {timeout.TotalSeconds:0} s. " +
                $"stderr: {await error} stdout: {await output}");
        }

        return new ProgramResult(commandLine, process.ExitCode, await output, await error);
    }

    private static bool DetectRoot()
    {
        if (Environment.UserName == "root")
        {
            return true;
        }

        // UserName comes from the environment or passwd; the effective uid is what initdb checks.
        using var id = Process.Start(new ProcessStartInfo("id", "-u") { RedirectStandardOutput = true, UseShellExecute = false })!;
        var uid = id.StandardOutput.ReadToEnd().Trim();
        id.WaitForExit();
        return uid == "0";
    }

    public sealed record ProgramResult(string CommandLine, int ExitCode, string StandardOutput, string StandardError)
    {
        public string Describe() => $"exit code {ExitCode}; stderr: {StandardError.Trim()}; stdout: {StandardOutput.Trim()}";
    }
}
