namespace Roundabout.Transactions.Timestamps;

/// <summary>Where the agent and the transactional state get timestamps and the snapshot horizon.</summary>
internal interface ITimestampSource
{
    /// <summary>
    /// A fresh timestamp, fetched from the oracle after this call began. With
    /// <paramref name="registerAs"/> the timestamp is registered as that transaction's read
    /// timestamp before any later oracle call can leave this process.
    /// </summary>
    Task<long> NextAsync(Guid? registerAs = null, TimeSpan registrationTimeout = default);

    /// <summary>The latest snapshot horizon that the oracle returned.</summary>
    SnapshotHorizon Horizon { get; }
}
