namespace Roundabout.Transactions.Timestamps;

/// <summary>
/// The cluster-wide source of transaction timestamps. There is one (key 0). Timestamps are
/// strictly increasing across activations because the oracle reserves blocks of them
/// durably before handing any out (the durable ceiling).
/// </summary>
/// <remarks>
/// Each process reaches the oracle through its <see cref="TimestampBatcher"/>, which keeps
/// one call in flight and reports the read timestamps of the transactions it is running,
/// so that the oracle can tell every process which snapshots are still in use.
/// </remarks>
public interface ITimestampOracleGrain : IGrainWithIntegerKey
{
    /// <summary>Hands out <see cref="TimestampRequest.Count"/> consecutive timestamps.</summary>
    Task<TimestampGrant> Next(TimestampRequest request);
}

/// <summary>
/// A batch request: <paramref name="Count"/> timestamps (may be 0 for a heartbeat) and the
/// read timestamps of every transaction the calling process has running.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record TimestampRequest(
    [property: Id(0)] Guid ProcessId,
    [property: Id(1)] int Count,
    [property: Id(2)] long[] ActiveReadTimestamps);

/// <summary>The first of the granted timestamps and the cluster's snapshot horizon.</summary>
[GenerateSerializer, Immutable]
public sealed record TimestampGrant(
    [property: Id(0)] long First,
    [property: Id(1)] SnapshotHorizon Horizon);
