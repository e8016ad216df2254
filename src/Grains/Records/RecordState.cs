namespace Roundabout.Records;

[GenerateSerializer]
public sealed class RecordState
{
    [Id(0)]
    public byte[]? Value { get; set; }

    [Id(1)]
    public long Version { get; set; }
}
