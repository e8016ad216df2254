namespace Roundabout.Storage;

/// <summary>
/// A record store could not be reached, or failed, during a read or write. For a write, whether it
/// took effect is unknown. The message carries the store's own error; the store logs the whole of it.
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
}
