namespace Roundabout.State;

/// <summary>What a counter keeps in storage: its newest committed value and its pending additions.</summary>
[GenerateSerializer]
public sealed class DurableCounterSlot
{
    [Id(0)]
    public long CommitTimestamp { get; set; }

    [Id(1)]
    public long Value { get; set; }

    [Id(2)]
    public List<PreparedDeltaRecord> Prepared { get; set; } = [];

    /// <summary>Older values that running snapshots may still read (see <see cref="DurableSlot{T}.History"/>).</summary>
    [Id(3)]
    internal CommittedVersion<long>[]? History { get; set; }
}

[GenerateSerializer]
public sealed class PreparedDeltaRecord
{
    [Id(0)]
    public Guid TransactionId { get; set; }

    [Id(1)]
    public long CommitTimestamp { get; set; }

    [Id(2)]
    public long Delta { get; set; }

    [Id(3)]
    public DateTime PreparedAtUtc { get; set; }

    [Id(4)]
    public long Floor { get; set; } = long.MinValue;

    [Id(5)]
    public long Ceiling { get; set; } = long.MaxValue;
}
