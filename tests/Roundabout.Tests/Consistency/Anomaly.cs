namespace Roundabout.Tests.Consistency;

public enum AnomalyKind
{
    /// <summary>G1a: a committed transaction read a value written by an aborted one.</summary>
    AbortedRead,

    /// <summary>A read returned a value nobody wrote to that key, or a non-initial value at version 0.</summary>
    GarbageRead,

    /// <summary>A read's version is not the version its writer installed.</summary>
    VersionMismatch,

    /// <summary>Two committed transactions installed the same version of a key: both overwrote the same prior version.</summary>
    LostUpdate,

    /// <summary>A version of a key was seen or overwritten, but no committed transaction installed it.</summary>
    MissingVersion,

    /// <summary>A transaction disagreed with itself: a non-repeatable read, a write not based on its snapshot, a lost own write.</summary>
    InternalInconsistency,

    /// <summary>A dependency cycle the isolation level forbids (G0, G1c, G-single, G2, or a real-time violation).</summary>
    Cycle,
}

public sealed record Anomaly(AnomalyKind Kind, string Description)
{
    public override string ToString() => $"{Kind}: {Description}";
}
