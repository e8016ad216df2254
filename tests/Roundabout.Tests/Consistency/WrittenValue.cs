using System.Globalization;
using System.Text;

namespace Roundabout.Tests.Consistency;

/// <summary>
/// Values that name their writer: transaction <c>t</c> writes <c>"t:key"</c> to <c>key</c>, so
/// every value is written once and a read tells which transaction wrote the version it saw.
/// </summary>
public static class WrittenValue
{
    public static byte[] Encode(int transactionId, string key) =>
        Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{transactionId}:{key}"));

    /// <summary>The writer and key a value names, or <c>false</c> if it names none.</summary>
    public static bool TryDecode(byte[]? value, out int transactionId, out string key)
    {
        transactionId = 0;
        key = "";
        if (value is null)
        {
            return false;
        }

        var text = Encoding.UTF8.GetString(value);
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || !int.TryParse(text.AsSpan(0, colon), NumberStyles.None, CultureInfo.InvariantCulture, out transactionId))
        {
            return false;
        }

        key = text[(colon + 1)..];
        return true;
    }

    public static string Describe(byte[]? value) => value is null ? "null" : Encoding.UTF8.GetString(value);
}
