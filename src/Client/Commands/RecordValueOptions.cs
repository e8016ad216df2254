using System.CommandLine;
using System.Text;
using Roundabout.Records;

namespace Roundabout.Client.Commands;

/// <summary>
/// Where `records put` and `records cas` take a value from: `--value TEXT` (UTF-8), or
/// `--value-file PATH` byte for byte (`-` for standard input), for binary values and for values
/// longer than a command line holds (a record takes 256 KiB; Linux refuses arguments past about 128 KiB).
/// </summary>
internal sealed class RecordValueOptions
{
    private const string StandardInput = "-";

    public Option<string> Text { get; } = new Option<string>("--value") { Description = "The value, as text (e.g. JSON)" }.RecordValue();

    public Option<string> File { get; } = new Option<string>("--value-file") { Description = "Read the value from this file, byte for byte ('-': standard input)" }
        .NonEmptyPath("a file, or - for standard input");

    public void AddTo(Command command)
    {
        command.Options.Add(Text);
        command.Options.Add(File);
        command.RequireExactlyOne(Text, File);
    }

    /// <summary>The value's bytes; a file that cannot be read, or that is too large for a record, is an <see cref="ArgumentException"/>.</summary>
    public async Task<byte[]> ReadAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        if (parse.GetValue(Text) is { } text)
        {
            return Encoding.UTF8.GetBytes(text);
        }

        var path = parse.GetValue(File)!;
        try
        {
            await using var source = path == StandardInput ? Console.OpenStandardInput() : new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            // One byte past the limit is enough to know the value is too large, without reading a huge file.
            var buffer = new byte[RecordLimits.MaxValueBytes + 1];
            var length = 0;
            int read;
            while (length < buffer.Length && (read = await source.ReadAsync(buffer.AsMemory(length), cancellationToken)) > 0)
            {
                length += read;
            }

            if (length > RecordLimits.MaxValueBytes)
            {
                throw new ArgumentException($"{File.Name} {Describe(path)} holds more than the {RecordLimits.MaxValueBytes} bytes a record takes.");
            }

            return buffer[..length];
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            throw new ArgumentException($"{File.Name} {Describe(path)} cannot be read: {exception.Message}", exception);
        }
    }

    private static string Describe(string path) => path == StandardInput ? "(standard input)" : $"'{path}'";
}
