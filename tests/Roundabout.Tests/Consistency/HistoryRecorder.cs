namespace Roundabout.Tests.Consistency;

/// <summary>
/// Collects the transactions of a test run, thread-safe. One logical clock orders the begin and
/// end of every transaction, which gives the real-time order the checkers also verify.
/// </summary>
public sealed class HistoryRecorder
{
    private readonly Lock _lock = new();
    private readonly List<RecordedTransaction> _finished = [];
    private long _clock;
    private int _nextId;

    /// <summary>Call right before the transaction starts.</summary>
    public TransactionLog Begin(bool readOnly = false) =>
        new(Interlocked.Increment(ref _nextId), readOnly, Interlocked.Increment(ref _clock));

    /// <summary>Call right after the client learned the outcome.</summary>
    public RecordedTransaction Finish(TransactionLog log, TransactionOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(log);
        if (outcome == TransactionOutcome.Running)
        {
            throw new ArgumentOutOfRangeException(nameof(outcome), outcome, "A finished transaction has an outcome.");
        }

        var finished = new RecordedTransaction(log.Id, log.ReadOnly, outcome, log.StartedAt, Interlocked.Increment(ref _clock), [.. log.Operations]);
        lock (_lock)
        {
            _finished.Add(finished);
        }

        return finished;
    }

    public IReadOnlyList<RecordedTransaction> History
    {
        get
        {
            lock (_lock)
            {
                return [.. _finished.OrderBy(t => t.Id)];
            }
        }
    }
}
