namespace Roundabout.Records;

public static class RecordLimits
{
    /// <summary>The largest value a record holds: 256 KiB.</summary>
    public const int MaxValueBytes = 256 * 1024;

    public static void ValidateValue(byte[]? value, string parameterName = "value")
    {
        ArgumentNullException.ThrowIfNull(value, parameterName);
        if (value.Length > MaxValueBytes)
        {
            throw new ArgumentException($"The value is {value.Length} bytes; a record holds at most {MaxValueBytes} bytes.", parameterName);
        }
    }
}
