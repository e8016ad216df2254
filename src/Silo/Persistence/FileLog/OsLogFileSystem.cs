using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Roundabout.Silo.Persistence.FileLog;

/// <summary>The real disk. Appends go straight to the OS (no .NET buffering); <see cref="ILogFile.Sync"/> is fdatasync on Linux.</summary>
public sealed partial class OsLogFileSystem : ILogFileSystem
{
    public static OsLogFileSystem Instance { get; } = new();

    public void CreateDirectory(string path)
    {
        DataDirectoryPath.ThrowIfBlocked(path);
        Directory.CreateDirectory(path);
    }

    public IReadOnlyList<string> ListFiles(string directory, string searchPattern) =>
        Directory.Exists(directory) ? Directory.GetFiles(directory, searchPattern) : [];

    public ILogFile OpenAppend(string path, int preallocateBytes) => new OsLogFile(path, preallocateBytes);

    public Stream OpenRead(string path) =>
        new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 1 << 20, FileOptions.SequentialScan);

    public long GetLength(string path) => new FileInfo(path).Length;

    public void Truncate(string path, long length)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
        stream.SetLength(length);
        stream.Flush(flushToDisk: true);
    }

    public void Delete(string path) => File.Delete(path);

    public void Move(string source, string destination) => File.Move(source, destination, overwrite: false);

    public void SyncDirectory(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        // Opening a directory read-only and fsync'ing it makes renames and deletions durable.
        var fd = Open(path, 0 /* O_RDONLY */);
        if (fd < 0)
        {
            throw new IOException($"Could not open directory '{path}' to sync it (errno {Marshal.GetLastPInvokeError()}).");
        }

        try
        {
            if (Fsync(fd) != 0)
            {
                throw new IOException($"fsync of directory '{path}' failed (errno {Marshal.GetLastPInvokeError()}).");
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "fdatasync", SetLastError = true)]
    private static partial int Fdatasync(SafeFileHandle fd);

    /// <remarks>
    /// .NET takes <see cref="FileShare.None"/> on Unix as an advisory <c>flock</c>, which every
    /// other open of the file with a share mode (another store, in any process) runs into, and
    /// which the kernel drops when the process dies: a killed silo leaves no stale lock behind.
    /// </remarks>
    public IDisposable LockExclusively(string path)
    {
        try
        {
            return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, bufferSize: 1);
        }
        catch (IOException exception) when (IsSharingViolation(exception))
        {
            throw new LockHeldException(path, exception);
        }
    }

    /// <summary>
    /// Whether opening failed on the lock. A read-only file system fails as a plain
    /// <see cref="IOException"/> too, so only the code tells them apart: on Unix .NET reports a
    /// lock held elsewhere with the errno of flock's refusal (EWOULDBLOCK), on Windows as a sharing
    /// or lock violation.
    /// </summary>
    private static bool IsSharingViolation(IOException exception) => exception.HResult switch
    {
        11 when OperatingSystem.IsLinux() => true, // EWOULDBLOCK (EAGAIN) on Linux
        35 when OperatingSystem.IsMacOS() || OperatingSystem.IsFreeBSD() => true, // EWOULDBLOCK there
        unchecked((int)0x80070020) or unchecked((int)0x80070021) => true, // ERROR_SHARING_VIOLATION, ERROR_LOCK_VIOLATION
        _ => false,
    };

    /// <remarks>
    /// Why preallocate: an fdatasync after an append that grows the file must also write the
    /// file's new size and block map, a second device write (and, in a virtual machine, a second
    /// exit to the host) per sync; into blocks that already hold zeros it writes only the data. The
    /// sync after each extension pays for it once: it writes the zeros and the new size.
    /// </remarks>
    private sealed class OsLogFile : ILogFile
    {
        private static readonly byte[] ZeroBlock = new byte[64 * 1024];
        private readonly FileStream _stream;
        private readonly SafeFileHandle _handle; // read once: FileStream seeks the OS file position on every read of it
        private int _preallocateBytes;
        private long _length;
        private long _allocated;
        private bool _disposed;

        public OsLogFile(string path, int preallocateBytes)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(preallocateBytes);
            _stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.Write, FileShare.Read | FileShare.Delete, bufferSize: 0);
            _handle = _stream.SafeFileHandle;
            _preallocateBytes = preallocateBytes;
            _length = _allocated = RandomAccess.GetLength(_handle);
        }

        public long Length => _length;

        public void Append(ReadOnlySpan<byte> bytes)
        {
            if (_preallocateBytes > 0 && _length + bytes.Length > _allocated)
            {
                Preallocate(_length + bytes.Length + _preallocateBytes);
            }

            RandomAccess.Write(_handle, bytes, _length);
            _length += bytes.Length;
            _allocated = Math.Max(_allocated, _length);
        }

        /// <summary>
        /// Writes zeros up to <paramref name="end"/>: real blocks, unlike fallocate's unwritten
        /// extents, whose first write is a metadata change again. On a full disk it stops
        /// preallocating instead of failing: the append itself may still fit.
        /// </summary>
        private void Preallocate(long end)
        {
            try
            {
                while (_allocated < end)
                {
                    var count = (int)Math.Min(ZeroBlock.Length, end - _allocated);
                    RandomAccess.Write(_handle, ZeroBlock.AsSpan(0, count), _allocated);
                    _allocated += count;
                }
            }
            catch (IOException exception) when (DiskFullException.IsDiskFull(exception))
            {
                _preallocateBytes = 0;
            }
        }

        public void Sync()
        {
            if (OperatingSystem.IsLinux())
            {
                // fdatasync: the data and the size, not the timestamps - what durability needs, and cheaper.
                if (Fdatasync(_handle) != 0)
                {
                    var errno = Marshal.GetLastPInvokeError();
                    throw new IOException($"fdatasync of '{_stream.Name}' failed (errno {errno}).", errno);
                }

                return;
            }

            _stream.Flush(flushToDisk: true);
        }

        public void Dispose()
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            try
            {
                // A closed segment ends with its last frame: recovery reads nothing after it. Asked
                // of the file, not of _allocated: a failed extension may have written some zeros.
                if (RandomAccess.GetLength(_handle) > _length)
                {
                    RandomAccess.SetLength(_handle, _length);
                    Sync();
                }
            }
            finally
            {
                _stream.Dispose();
            }
        }
    }
}
