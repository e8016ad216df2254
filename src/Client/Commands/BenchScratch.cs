namespace Roundabout.Client.Commands;

/// <summary>
/// The checks the benchmarks share: a sane --duration, and a --data directory that is theirs to
/// delete. A benchmark deletes its scratch directory before and after it runs, so it must never be
/// given one that holds a store of a real command (./data), or the directory the person works in.
/// </summary>
internal static class BenchScratch
{
    /// <summary>The file that marks a directory as made by a benchmark, so a later one may delete it.</summary>
    public const string MarkerFileName = ".roundabout-bench-scratch";

    /// <summary>A day: far more than any benchmark run needs, and well inside what a <see cref="TimeSpan"/> holds.</summary>
    private const double MaxSeconds = 24 * 60 * 60;

    /// <summary>The seconds as a duration, or bad input (NaN, infinite, not positive, longer than a day).</summary>
    public static TimeSpan Duration(double seconds, string option = "--duration") =>
        DurationProblem(seconds) is { } problem
            ? throw new ArgumentException($"{option} {problem}")
            : TimeSpan.FromSeconds(seconds);

    /// <summary>What is wrong with <paramref name="seconds"/> as a benchmark's duration, or null.</summary>
    public static string? DurationProblem(double seconds) =>
        double.IsFinite(seconds) && seconds > 0 && seconds <= MaxSeconds
            ? null
            : $"must be a positive number of seconds, at most {MaxSeconds:F0} (got {seconds.ToString(System.Globalization.CultureInfo.InvariantCulture)}).";

    /// <summary>
    /// Empties <paramref name="directory"/> (or creates it) and marks it as the benchmark's; returns
    /// where the benchmark's log goes, a directory below it.
    /// </summary>
    private static string Prepare(string directory)
    {
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory));
        var current = Path.TrimEndingDirectorySeparator(Path.GetFullPath(Environment.CurrentDirectory));
        if (string.Equals(full, current, StringComparison.Ordinal)
            || current.StartsWith(full.EndsWith(Path.DirectorySeparatorChar) ? full : full + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            throw new ArgumentException($"--data '{full}' is the current directory or holds it; give the benchmark a scratch directory of its own (it is deleted).");
        }

        if (File.Exists(full))
        {
            throw new ArgumentException($"--data '{full}' is a file; give the benchmark a scratch directory (it is deleted).");
        }

        if (Directory.Exists(full))
        {
            if (Directory.EnumerateFileSystemEntries(full).Any() && !File.Exists(Path.Combine(full, MarkerFileName)))
            {
                throw new ArgumentException($"--data '{full}' holds files the benchmark did not make (a store?); give it an empty or new directory (it is deleted).");
            }

            ThrowIfAStoreIsOpen(full);
            Directory.Delete(full, recursive: true);
        }

        Directory.CreateDirectory(full);
        File.WriteAllText(Path.Combine(full, MarkerFileName), "Scratch directory of `roundabout bench`: deleted by the next benchmark run.\n");
        return Path.Combine(full, "log");
    }

    /// <summary>
    /// A benchmark still running in the directory holds its log's lock. Deleting the directory would
    /// not stop it (the new run would lock a new file), and would pull the log from under it.
    /// </summary>
    private static void ThrowIfAStoreIsOpen(string directory)
    {
        foreach (var lockFile in Directory.EnumerateFiles(directory, "LOCK", SearchOption.AllDirectories))
        {
            Roundabout.Silo.Persistence.FileLog.DataDirectoryPath.ThrowIfInUse(Path.GetDirectoryName(lockFile)!);
        }
    }

    /// <summary>
    /// Runs <paramref name="benchmark"/> in the prepared scratch directory (given the log's
    /// directory below it), then deletes it, also when the benchmark failed or was cancelled.
    /// </summary>
    public static async Task<T> UseAsync<T>(string directory, Func<string, Task<T>> benchmark)
    {
        var log = Prepare(directory);
        try
        {
            return await benchmark(log);
        }
        finally
        {
            Remove(directory);
        }
    }

    /// <summary>Deletes a directory that <see cref="Prepare"/> made, and nothing else.</summary>
    private static void Remove(string directory)
    {
        var full = Path.GetFullPath(directory);
        if (File.Exists(Path.Combine(full, MarkerFileName)))
        {
            Directory.Delete(full, recursive: true);
        }
    }

    /// <summary>Bad input when the JSON report could not be written: checked before the benchmark runs, not after.</summary>
    public static void RequireWritableFile(string path, string option = "--json")
    {
        var full = Path.GetFullPath(path);
        if (Directory.Exists(full))
        {
            throw new ArgumentException($"{option} '{full}' is a directory; give a file name.");
        }

        var parent = Path.GetDirectoryName(full);
        if (parent is not null && !Directory.Exists(parent))
        {
            throw new ArgumentException($"{option} '{full}': the directory '{parent}' does not exist.");
        }

        // Opened for writing now, as the report will be (permissions, a read-only file system), and
        // left as it was: an existing report is kept until the new one replaces it.
        var existed = File.Exists(full);
        try
        {
            using (new FileStream(full, FileMode.OpenOrCreate, FileAccess.Write))
            {
            }
        }
        catch (Exception exception) when (exception is UnauthorizedAccessException or IOException)
        {
            throw new ArgumentException($"{option} '{full}' cannot be written ({exception.Message.TrimEnd('.')}).", exception);
        }

        if (!existed)
        {
            File.Delete(full);
        }
    }
}
