using System.Text;

namespace Roundabout.Client.Commands;

/// <summary>Whether a record's bytes can go to a terminal as they are.</summary>
internal static class PrintableText
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// The bytes as text, or null when they are not valid UTF-8 or hold control characters other
    /// than tab and line breaks: printed as they are, those would show as replacement characters,
    /// cut the line, or drive the terminal (an escape sequence in a record is not for it to run).
    /// </summary>
    public static string? TryDecode(byte[] bytes)
    {
        string text;
        try
        {
            text = StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }

        foreach (var character in text)
        {
            if (char.IsControl(character) && character is not ('\t' or '\n' or '\r'))
            {
                return null;
            }
        }

        return text;
    }
}
