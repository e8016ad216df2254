namespace Roundabout.Silo.Persistence.FileLog;

/// <summary>
/// The file operations the log needs, behind an interface so tests can inject failures
/// (write errors, fsync errors, a full disk) exactly where they happen on a real disk.
/// </summary>
public interface ILogFileSystem
{
    void CreateDirectory(string path);

    /// <summary>The files in <paramref name="directory"/> whose names match <paramref name="searchPattern"/>.</summary>
    IReadOnlyList<string> ListFiles(string directory, string searchPattern);

    /// <summary>Opens (creating it if needed) a file to append to, positioned at its end.</summary>
    ILogFile OpenAppend(string path);

    Stream OpenRead(string path);

    long GetLength(string path);

    /// <summary>Cuts the file to <paramref name="length"/> bytes and makes that durable.</summary>
    void Truncate(string path, long length);

    void Delete(string path);

    /// <summary>Renames atomically, replacing nothing (the target must not exist).</summary>
    void Move(string source, string destination);

    /// <summary>Makes the directory's entries (created, renamed, deleted files) durable.</summary>
    void SyncDirectory(string path);

    /// <summary>
    /// Takes an exclusive lock on <paramref name="path"/> (created if needed), held until the
    /// result is disposed or the process ends; throws <see cref="LockHeldException"/> if it is held
    /// elsewhere, by this process or another, and the file system's own exception for anything
    /// else (a read-only file system, a missing directory, no permission).
    /// </summary>
    IDisposable LockExclusively(string path);
}

/// <summary>A file the log appends to.</summary>
public interface ILogFile : IDisposable
{
    long Length { get; }

    void Append(ReadOnlySpan<byte> bytes);

    /// <summary>Makes everything appended so far durable (fdatasync).</summary>
    void Sync();
}
