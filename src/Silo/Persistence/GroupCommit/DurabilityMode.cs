namespace Roundabout.Silo.Persistence.GroupCommit;

/// <summary>When a write is acknowledged.</summary>
public enum DurabilityMode
{
    /// <summary>After the batch that carries it is durable (fsync'd). Nothing acknowledged is ever lost.</summary>
    Strict,

    /// <summary>
    /// At once; the writer loop makes it durable within <see cref="GroupCommitOptions.MaxWait"/>
    /// plus one flush. After a crash the store holds a prefix of the acknowledged writes, in
    /// order and never half a batch. ETags are sequence numbers, so the writes after that prefix
    /// hand out again the ETags of the lost ones: an ETag kept across a crash (outside the silo)
    /// can then match a different value. The transaction layer keeps none across a restart.
    /// </summary>
    Buffered,
}
