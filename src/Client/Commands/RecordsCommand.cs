using System.CommandLine;

namespace Roundabout.Client.Commands;

/// <summary>`roundabout records get|put|cas|delete`: versioned documents (text on the command line, any bytes through files).</summary>
internal static class RecordsCommand
{
    public static Command Create()
    {
        var command = new Command("records", "Versioned documents");
        command.Subcommands.Add(Get());
        command.Subcommands.Add(Put());
        command.Subcommands.Add(CompareAndSet());
        command.Subcommands.Add(Delete());
        return command;
    }

    private static Option<string> KeyOption() => new Option<string>("--key") { Description = "The record's key", Required = true }.Key();

    /// <summary>The key of a record to write: never the bank's account directory (see <see cref="Library.BankDirectory.ThrowIfDirectoryKey"/>).</summary>
    private static string WritableKey(ParseResult parse, Option<string> key)
    {
        var value = parse.GetValue(key)!;
        Library.BankDirectory.ThrowIfDirectoryKey(value, key.Name);
        return value;
    }

    private static Command Get()
    {
        var connection = new ConnectionOptions();
        var key = KeyOption();
        var output = new Option<string>("--output") { Description = "Write the value to this file, byte for byte, instead of printing it" }.NonEmptyPath("a file");
        var command = new Command("get", "Print a record's version and value") { key, output };
        connection.AddTo(command);
        command.SetAction((parse, token) => CommandErrors.RunAsync(parse.GetValue(connection.Verbose), token, async () =>
        {
            await using var session = await connection.ConnectAsync(parse, token, needsExistingData: true);
            var id = parse.GetValue(key)!;
            var record = await session.Client.GetAsync(id);
            if (record.Value is null)
            {
                // An error, as for `records delete`: a script reading a record it expects gets a
                // non-zero code and nothing on standard output to take for a value.
                Console.Error.WriteLine(record.Version == 0
                    ? $"error: there is no record '{id}'"
                    : $"error: there is no record '{id}': it was deleted at version {record.Version}");
                return CommandErrors.Refused;
            }

            if (parse.GetValue(output) is { } path)
            {
                await File.WriteAllBytesAsync(path, record.Value, token);
                Console.WriteLine($"version {record.Version}: {record.Value.Length} bytes written to {path}");
                return CommandErrors.Ok;
            }

            Console.WriteLine(PrintableText.TryDecode(record.Value) is { } text
                ? $"version {record.Version}: {text}"
                : $"version {record.Version}: {record.Value.Length} bytes that are not printable text (--output FILE writes them to a file)");
            return CommandErrors.Ok;
        }));
        return command;
    }

    private static Command Put()
    {
        var connection = new ConnectionOptions();
        var (key, value) = (KeyOption(), new RecordValueOptions());
        var command = new Command("put", "Write a record") { key };
        value.AddTo(command);
        connection.AddTo(command);
        command.SetAction((parse, token) => CommandErrors.RunAsync(parse.GetValue(connection.Verbose), token, async () =>
        {
            var id = WritableKey(parse, key);
            var bytes = await value.ReadAsync(parse, token);
            await using var session = await connection.ConnectAsync(parse, token);
            var version = await session.Client.PutAsync(id, bytes);
            Console.WriteLine($"version {version}");
            return CommandErrors.Ok;
        }));
        return command;
    }

    private static Command CompareAndSet()
    {
        var connection = new ConnectionOptions();
        var (key, value) = (KeyOption(), new RecordValueOptions());
        var expected = new Option<long>("--expected-version") { Description = "Write only if the record is at this version (0: never written)", Required = true }
            .Check(version => version < 0 ? $"must be 0 (the record was never written) or a version it had (got {version})." : null);
        var command = new Command("cas", "Write a record only if it is at the expected version") { key, expected };
        value.AddTo(command);
        connection.AddTo(command);
        command.SetAction((parse, token) => CommandErrors.RunAsync(parse.GetValue(connection.Verbose), token, async () =>
        {
            var id = WritableKey(parse, key);
            var bytes = await value.ReadAsync(parse, token);
            await using var session = await connection.ConnectAsync(parse, token);
            var result = await session.Client.CompareAndSetAsync(id, parse.GetValue(expected), bytes);
            if (!result.Succeeded)
            {
                // A deleted record has a version too: say so, or "version 4" reads like a value to expect.
                var deleted = result.Version > 0 && (await session.Client.GetAsync(id)) is { Value: null } gone && gone.Version == result.Version;
                Console.Error.WriteLine($"error: the record is at version {result.Version}{(deleted ? " (deleted)" : "")}, not {parse.GetValue(expected)}; nothing was written");
                return CommandErrors.Conflict;
            }

            Console.WriteLine($"version {result.Version}");
            return CommandErrors.Ok;
        }));
        return command;
    }

    private static Command Delete()
    {
        var connection = new ConnectionOptions();
        var key = KeyOption();
        var command = new Command("delete", "Delete a record") { key };
        connection.AddTo(command);
        command.SetAction((parse, token) => CommandErrors.RunAsync(parse.GetValue(connection.Verbose), token, async () =>
        {
            var id = WritableKey(parse, key);
            await using var session = await connection.ConnectAsync(parse, token, needsExistingData: true);
            if (!await session.Client.DeleteAsync(id))
            {
                Console.Error.WriteLine($"error: there is no record '{id}'; nothing was deleted");
                return CommandErrors.Refused;
            }

            Console.WriteLine("deleted");
            return CommandErrors.Ok;
        }));
        return command;
    }
}
