namespace Roundabout.Silo.Persistence.FileLog;

/// <summary>Another store (a silo or a command, in this process or another) has the data directory open.</summary>
public sealed class DataDirectoryInUseException(string directory, Exception innerException)
    : IOException($"The data directory '{directory}' is in use by another silo or command; stop it first, or give this one another data directory.", innerException);
