namespace Roundabout.Transactions;

/// <summary>Options of Roundabout's transaction agent, per process (silo or client).</summary>
public sealed class RoundaboutTransactionOptions
{
    /// <summary>The isolation level of transactions that do not choose one. Default: <see cref="IsolationLevel.Serializable"/>.</summary>
    public IsolationLevel DefaultIsolation { get; set; } = IsolationLevel.Serializable;

    /// <summary>
    /// How long a participant keeps a prepared write undecided before it asks the decision
    /// record (and, if there is none, decides abort itself). Only liveness depends on it.
    /// Default: 5 seconds.
    /// </summary>
    public TimeSpan PreparedResolutionTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long tentative writes of a transaction that neither committed nor aborted are kept
    /// before they are discarded (the transaction's client is presumed gone). Default: 60 seconds.
    /// </summary>
    public TimeSpan AbandonedTransactionTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How long a call to a participant during commit may take. Default: 30 seconds.</summary>
    public TimeSpan ParticipantCallTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a transaction committer's operation (<c>[TransactionCommitter]</c>) may run. After it
    /// the coordinator gives up: the transaction's own writes are rolled back and the caller hears
    /// "in doubt", since what the operation did is unknown. Participants that wait for such a
    /// transaction presume abort only after this time and <see cref="PreparedResolutionTimeout"/>
    /// more have passed. Default: 30 seconds.
    /// </summary>
    public TimeSpan CommitOperationTimeout { get; set; } = TimeSpan.FromSeconds(30);

    internal void Validate()
    {
        if (!Enum.IsDefined(DefaultIsolation))
        {
            throw new ArgumentOutOfRangeException(nameof(DefaultIsolation), DefaultIsolation, "Unknown isolation level.");
        }

        foreach (var (name, value) in new[]
                 {
                     (nameof(PreparedResolutionTimeout), PreparedResolutionTimeout),
                     (nameof(AbandonedTransactionTimeout), AbandonedTransactionTimeout),
                     (nameof(ParticipantCallTimeout), ParticipantCallTimeout),
                     (nameof(CommitOperationTimeout), CommitOperationTimeout),
                 })
        {
            if (value <= TimeSpan.Zero)
            {
                throw new ArgumentOutOfRangeException(name, value, $"{name} must be positive.");
            }
        }
    }
}
