namespace Roundabout.Tests.Consistency;

/// <summary>What one running transaction did; written by the one worker that runs it.</summary>
public sealed class TransactionLog
{
    private readonly List<RecordedOperation> _operations = [];
    private readonly HashSet<string> _written = [];

    internal TransactionLog(int id, bool readOnly, long startedAt)
    {
        Id = id;
        ReadOnly = readOnly;
        StartedAt = startedAt;
    }

    public int Id { get; }

    public bool ReadOnly { get; }

    public long StartedAt { get; }

    public IReadOnlyList<RecordedOperation> Operations => _operations;

    /// <summary>The unique value this transaction writes to <paramref name="key"/>.</summary>
    public byte[] ValueFor(string key) => WrittenValue.Encode(Id, key);

    public void Read(string key, byte[]? value, long version) =>
        _operations.Add(new RecordedOperation(OperationKind.Read, key, value, version));

    /// <summary>Records a write of <see cref="ValueFor"/> that the record reported as <paramref name="version"/>.</summary>
    public void Wrote(string key, long version)
    {
        if (!_written.Add(key))
        {
            // Versions count writes, so a second write in one transaction would skip a version.
            throw new InvalidOperationException($"T{Id} writes {key} twice; the checker expects one write per key and transaction.");
        }

        _operations.Add(new RecordedOperation(OperationKind.Write, key, ValueFor(key), version));
    }
}
