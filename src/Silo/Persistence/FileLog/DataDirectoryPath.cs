namespace Roundabout.Silo.Persistence.FileLog;

/// <summary>Checks a log's data directory before anything is started on it.</summary>
public static class DataDirectoryPath
{
    /// <summary>The file in a data directory whose exclusive lock a store holds while it has the directory open.</summary>
    internal const string LockFileName = "LOCK";

    /// <summary>
    /// Throws <see cref="IOException"/> naming the file when <paramref name="path"/>, or a part of
    /// it that does not exist as a directory, is a file. .NET's own messages ("The file ... already
    /// exists", "Could not find a part of the path") say neither that a directory is needed there
    /// nor which part of the path is wrong. A path that does not exist yet is fine: the log makes it.
    /// </summary>
    public static void ThrowIfBlocked(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var full = Path.GetFullPath(path);
        for (var part = full; !string.IsNullOrEmpty(part) && !Directory.Exists(part); part = Path.GetDirectoryName(part))
        {
            if (File.Exists(part))
            {
                throw new IOException(part == full
                    ? $"The data directory '{full}' is a file, not a directory."
                    : $"The data directory '{full}' cannot be made: '{part}' is a file, not a directory.");
            }
        }
    }

    /// <summary>
    /// Throws <see cref="DataDirectoryInUseException"/> when a store (a silo or a command, in this
    /// process or another) has <paramref name="path"/> open. The store's own lock is what keeps two
    /// stores apart; this earlier look lets a host refuse before it starts anything (Orleans logs
    /// "Started silo" as soon as it builds a silo, long before the silo opens its store).
    /// </summary>
    public static void ThrowIfInUse(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var full = Path.GetFullPath(path);
        var lockFile = Path.Combine(full, LockFileName);
        if (!File.Exists(lockFile))
        {
            // Every store makes the file before it locks it: without one, no store has the directory.
            return;
        }

        try
        {
            using var held = OsLogFileSystem.Instance.LockExclusively(lockFile);
        }
        catch (LockHeldException exception)
        {
            throw new DataDirectoryInUseException(full, exception);
        }
    }
}
