namespace Roundabout.State;

/// <summary>A running transaction's private copy of a state: invisible to others until it commits.</summary>
internal sealed class TentativeWrite<T>(T value)
{
    public T Value { get; private set; } = value;

    /// <summary>How many writes made <see cref="Value"/>: prepare checks it against the transaction's own count.</summary>
    public int Writes { get; private set; }

    public DateTime LastTouchedUtc { get; private set; } = DateTime.UtcNow;

    public void Touch() => LastTouchedUtc = DateTime.UtcNow;

    public void RecordWrite(T value)
    {
        Value = value;
        Writes++;
        Touch();
    }
}
