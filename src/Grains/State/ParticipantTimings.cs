namespace Roundabout.State;

/// <summary>Intervals every kind of participant keeps alike: states, counters and transaction committers.</summary>
internal static class ParticipantTimings
{
    /// <summary>How often a participant looks for tentative writes of transactions that went quiet.</summary>
    public static readonly TimeSpan SweepInterval = TimeSpan.FromSeconds(1);

    /// <summary>The longest one change wait (<c>Stm.Retry</c>) lasts: well inside Orleans' response time-out; callers ask again.</summary>
    public static readonly TimeSpan MaxChangeWait = TimeSpan.FromSeconds(20);

    /// <summary>
    /// The longest a deactivating state or counter waits for its last writes (the versions that
    /// snapshots may still read, and writes already handed to the store) before it lets the activation go.
    /// </summary>
    public static readonly TimeSpan LastWriteTimeout = TimeSpan.FromSeconds(5);

    /// <summary>When a change wait asked for <paramref name="requested"/> gives up.</summary>
    public static DateTime ChangeWaitDeadline(TimeSpan requested) => DateTime.UtcNow + (requested < MaxChangeWait ? requested : MaxChangeWait);
}
