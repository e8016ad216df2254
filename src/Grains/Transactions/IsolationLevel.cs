namespace Roundabout.Transactions;

/// <summary>How much a transaction is protected from concurrent ones.</summary>
[GenerateSerializer]
public enum IsolationLevel
{
    /// <summary>
    /// Every committed history is equivalent to running the transactions one at a time in
    /// timestamp order. Reads are validated at commit: prevents write skew and the read-only anomaly.
    /// </summary>
    Serializable = 0,

    /// <summary>
    /// Reads come from one consistent snapshot; concurrent writers of the same state conflict
    /// (first committer wins). Reads are not validated at commit, so write skew is possible.
    /// </summary>
    Snapshot = 1,
}
