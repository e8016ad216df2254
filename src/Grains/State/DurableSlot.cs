namespace Roundabout.State;

/// <summary>
/// What one transactional state keeps in storage: its newest committed version and, while a
/// multi-writer transaction is being decided, that transaction's prepared write.
/// </summary>
/// <remarks>
/// Older versions live only in memory: they serve running snapshots, which a restart ends anyway.
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
