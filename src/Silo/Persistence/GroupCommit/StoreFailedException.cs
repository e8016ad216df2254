namespace Roundabout.Silo.Persistence.GroupCommit;

/// <summary>
/// An earlier write or fsync of the log failed, so the store takes no more writes: going on
/// could acknowledge writes after a hole. Restart the silo; recovery keeps what is durable.
/// </summary>
public sealed class StoreFailedException(string directory, Exception cause)
    : IOException($"The log in '{directory}' failed earlier ({cause.Message}) and accepts no more writes; restart the silo.", cause);
