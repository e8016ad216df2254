namespace Roundabout.Storage;

/// <summary>
/// A record store could not be reached, or failed, during a read or write. For a write, whether it
/// took effect is unknown unless <see cref="NothingWritten"/> says it certainly did not. The message
/// carries the store's own error; the store logs the whole of it.
/// </summary>
/// <remarks>
/// Thrown instead of the database driver's own exception, which may cross silos and clients: Orleans
/// cannot carry an exception type it has no codec for, and the caller would hear only that.
/// </remarks>
[GenerateSerializer]
public sealed class RecordStoreUnavailableException : Exception
{
    public RecordStoreUnavailableException(string message)
        : base(message)
    {
    }

    public RecordStoreUnavailableException(string message, bool nothingWritten)
        : base(message)
    {
        NothingWritten = nothingWritten;
    }

    /// <summary>
    /// True when the failed write certainly wrote nothing: the store was never reached (no
    /// connection could be opened), or the database answered with an error, which rolled its
    /// transaction back. False when the outcome is unknown (the connection was lost, or a time-out
    /// passed, while the commit may have been under way).
    /// </summary>
    [Id(0)]
    public bool NothingWritten { get; private set; }

    /// <summary>Whether <paramref name="exception"/> says a write certainly wrote nothing.</summary>
    public static bool CertainlyNotWritten(Exception? exception) => exception is RecordStoreUnavailableException { NothingWritten: true };
}
