namespace Roundabout.Silo.Persistence.FileLog;

/// <summary>An exclusive lock on a file is held elsewhere, by this process or another.</summary>
public sealed class LockHeldException(string path, Exception innerException)
    : IOException($"The lock on '{path}' is held by another store, in this process or another.", innerException);
