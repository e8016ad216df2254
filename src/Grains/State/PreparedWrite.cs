namespace Roundabout.State;

/// <summary>
/// The one write of a state that is between "validated" and "installed". While it exists no
/// other write can prepare, and a snapshot at or above its timestamp waits for its outcome,
/// because it may already be committed.
/// </summary>
internal sealed class PreparedWrite<T>(Guid transactionId, long commitTimestamp, T value, bool commitsWhenDurable, DateTime preparedAtUtc) : ISettleable
{
    public Guid TransactionId { get; } = transactionId;

    public long CommitTimestamp { get; } = commitTimestamp;

    public T Value { get; } = value;

    /// <summary>
    /// True for a single-writer transaction: the durable write that carries it is the commit
    /// itself, so it has no decision record and needs no resolution.
    /// </summary>
    public bool CommitsWhenDurable { get; } = commitsWhenDurable;

    public DateTime PreparedAtUtc { get; } = preparedAtUtc;

    public bool Settling { get; set; }

    /// <summary>Completes when the write is installed or dropped.</summary>
    public TaskCompletionSource Decided { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}
