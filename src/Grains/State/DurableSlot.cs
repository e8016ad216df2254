namespace Roundabout.State;

/// <summary>
/// What one transactional state keeps in storage: its newest committed version and, while a
/// multi-writer transaction is being decided, that transaction's prepared write.
/// </summary>
/// <remarks>
/// Older versions live in memory while the grain is active. An activation that stops while running
/// snapshots may still read some of them writes them here too (<see cref="History"/>), so that the
/// next activation has them wherever it is placed.
/// </remarks>
[GenerateSerializer]
public sealed class DurableSlot<T>
{
    [Id(0)]
    public long CommitTimestamp { get; set; }

    [Id(1)]
    public T? Value { get; set; }

    [Id(2)]
    public PreparedRecord<T>? Prepared { get; set; }

    /// <summary>
    /// Versions older than <see cref="CommitTimestamp"/> that running snapshots may still read,
    /// oldest first; written only by an activation that is stopping (<c>SlotActivation</c>), absent otherwise.
    /// </summary>
    [Id(3)]
    internal CommittedVersion<T>[]? History { get; set; }
}

/// <summary>A prepared write: durable before its participant votes yes, settled from the decision record after a crash.</summary>
[GenerateSerializer]
public sealed class PreparedRecord<T>
{
    [Id(0)]
    public Guid TransactionId { get; set; }

    [Id(1)]
    public long CommitTimestamp { get; set; }

    [Id(2)]
    public T? Value { get; set; }

    [Id(3)]
    public DateTime PreparedAtUtc { get; set; }
}
