namespace Roundabout.Silo.Persistence.FileLog;

/// <summary>The disk that holds the log is full: no write was acknowledged that did not fit. Free space and restart the silo.</summary>
public sealed class DiskFullException(string directory, Exception innerException)
    : IOException($"The disk holding the log in '{directory}' is full; free space and restart the silo.", innerException)
{
    /// <summary>ENOSPC on Linux; ERROR_DISK_FULL and ERROR_HANDLE_DISK_FULL on Windows.</summary>
    public static bool IsDiskFull(Exception exception) =>
        exception is IOException io && (io.HResult & 0xFFFF) is 28 or 112 or 39;
}
