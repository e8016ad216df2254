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

    /// <summary>
    /// Opens (creating it if needed) a file to append to, positioned at its end (so a file that
    /// was preallocated must have been cut to its appends first, as closing it and recovery do). With
    /// <paramref name="preallocateBytes"/> above zero the file keeps at least that much zero-filled
    /// space written ahead of its appends, so that a <see cref="ILogFile.Sync"/> finds the file's size
    /// and blocks unchanged and has only data to write; the space is cut off when the file is closed.
    /// </summary>
    ILogFile OpenAppend(string path, int preallocateBytes);

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

/// <summary>
/// A file the log appends to. Disposing it closes it; a file opened with preallocation is first cut
/// to <see cref="Length"/>, durably, so that a closed file ends with its last append.
/// </summary>
public interface ILogFile : IDisposable
{
    /// <summary>The bytes appended, from the start of the file: where the next append goes (preallocated space not counted).</summary>
    long Length { get; }

    void Append(ReadOnlySpan<byte> bytes);

    /// <summary>Makes everything appended so far durable (fdatasync).</summary>
    void Sync();
}
