namespace Roundabout.Silo.Persistence.FileLog;

/// <summary>
/// The log is damaged somewhere other than its tail, so it cannot be trusted: start-up stops
/// rather than serve a state with a hole in it. The message names the file and the offset.
/// </summary>
public sealed class LogCorruptedException(string file, long offset, string problem)
    : Exception($"The log file '{file}' is corrupt at offset {offset}: {problem}. Restore the data directory from a backup, or move the file away to discard it and everything after it.")
{
    public string File { get; } = file;

    public long Offset { get; } = offset;
}
