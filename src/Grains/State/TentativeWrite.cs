namespace Roundabout.State;

/// <summary>A running transaction's private copy of a state: invisible to others until it commits.</summary>
internal sealed class TentativeWrite<T>(T value, long readTimestamp)
{
    public T Value { get; set; } = value;

    public long ReadTimestamp { get; } = readTimestamp;

    public DateTime LastTouchedUtc { get; private set; } = DateTime.UtcNow;

    public void Touch() => LastTouchedUtc = DateTime.UtcNow;
}
