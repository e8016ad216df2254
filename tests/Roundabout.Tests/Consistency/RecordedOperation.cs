namespace Roundabout.Tests.Consistency;

public enum OperationKind
{
    Read,
    Write,
}

/// <summary>
/// One read (the value and version the transaction saw) or one write (the value it wrote and
/// the version the record reported for it) of a record, in the order the transaction made them.
/// </summary>
public sealed record RecordedOperation(OperationKind Kind, string Key, byte[]? Value, long Version)
{
    public override string ToString() =>
        $"{(Kind == OperationKind.Read ? "r" : "w")}({Key}@{Version}={WrittenValue.Describe(Value)})";
}
