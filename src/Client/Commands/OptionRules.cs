using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Text;
using Roundabout.Accounts;
using Roundabout.Client.Workload;
using Roundabout.Records;
using Roundabout.Silo.Persistence.Postgres;

namespace Roundabout.Client.Commands;

/// <summary>
/// Checks of option values made while the command line is parsed: a bad value is a parse error
/// that names the option and says what to give instead, followed by `see roundabout ... --help`
/// as for a value that does not parse, and nothing starts (no silo, no connection). Where the
/// library has the rule (<see cref="Money"/>), the option asks the library, so that the two cannot
/// drift apart, and puts the option's name in front of the library's message.
/// </summary>
internal static class OptionRules
{
    /// <summary>Refuses a value for which <paramref name="problem"/> says what is wrong (the text after the option's name).</summary>
    public static Option<T> Check<T>(this Option<T> option, Func<T, string?> problem) =>
        option.Refuse(value => problem(value) is { } text ? $"{option.Name} {text}" : null);

    /// <summary>
    /// Refuses a value that <paramref name="validate"/>, a check of the library's, throws for: the
    /// error is "--option: " and the library's message, on one line and without the parameter name
    /// .NET adds for a programmer (its "Actual value was ..." stays: it shows what was given).
    /// </summary>
    private static Option<T> CheckWith<T>(this Option<T> option, Action<T> validate) =>
        option.Refuse(value =>
        {
            try
            {
                validate(value);
                return null;
            }
            catch (ArgumentException exception)
            {
                var lines = Roundabout.Silo.Hosting.ArgumentMessages.WithoutParameterName(exception).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                return $"{option.Name}: {string.Join(' ', lines)}";
            }
        });

    /// <summary>Adds the error <paramref name="error"/> gives for a value (null: none).</summary>
    private static Option<T> Refuse<T>(this Option<T> option, Func<T, string?> error)
    {
        option.Validators.Add(result =>
        {
            if (TryGetValue(result, out T value) && error(value) is { } text)
            {
                result.AddError(text);
            }
        });
        return option;
    }

    /// <summary>Refuses the same value for two options of <paramref name="command"/>.</summary>
    /// <param name="what">What the two values are, in the plural ("accounts").</param>
    public static void RequireDifferent<T>(this Command command, Option<T> first, Option<T> second, string what) =>
        // A command's validators run before its options' default values are filled in.
        command.Validators.Add(result =>
        {
            if (ValueOrDefault(result, first, out var one) && ValueOrDefault(result, second, out var other) && EqualityComparer<T>.Default.Equals(one, other))
            {
                result.AddError($"{first.Name} and {second.Name} must be two different {what} (both are {one}).");
            }
        });

    /// <summary>Refuses a value of <paramref name="part"/> above that of <paramref name="whole"/> (a hot spot larger than the accounts).</summary>
    public static void RequireAtMost(this Command command, Option<int> part, Option<int> whole) =>
        command.Validators.Add(result =>
        {
            if (ValueOrDefault(result, part, out var small) && ValueOrDefault(result, whole, out var large) && small > large)
            {
                result.AddError($"{part.Name} must be at most {whole.Name} ({Number(large)}) (got {Number(small)}).");
            }
        });

    /// <summary>
    /// Refuses more money than an audit can add up in <paramref name="count"/> accounts opened with
    /// <paramref name="balance"/> each, before anything is written (the bank's own check comes after
    /// its store exists, and would leave an empty one behind in a new --data).
    /// </summary>
    public static void RequireTotalFits(this Command command, Option<int> count, Option<long> balance) =>
        command.Validators.Add(result =>
        {
            if (ValueOrDefault(result, count, out var accounts) && ValueOrDefault(result, balance, out var each) && (Int128)accounts * each > long.MaxValue)
            {
                var invariant = CultureInfo.InvariantCulture;
                result.AddError(string.Create(
                    invariant,
                    $"{count.Name} {accounts:N0} with {balance.Name} {each:N0} could hold up to {(Int128)accounts * each:N0} in all, past the {long.MaxValue:N0} an audit can add up: open fewer accounts or give each less."));
            }
        });

    /// <summary>Requires one of two options that say the same thing two ways, and refuses both.</summary>
    public static void RequireExactlyOne(this Command command, Option first, Option second) =>
        command.Validators.Add(result =>
        {
            var given = (result.GetResult(first) is { Implicit: false }, result.GetResult(second) is { Implicit: false });
            if (given == (false, false))
            {
                result.AddError($"{first.Name} or {second.Name} is required.");
            }
            else if (given == (true, true))
            {
                result.AddError($"{first.Name} and {second.Name} cannot be used together: give the value one way.");
            }
        });

    /// <summary>Refuses <paramref name="option"/> together with <paramref name="other"/>, or without it (<paramref name="together"/>).</summary>
    /// <param name="why">Why, as a clause after "because".</param>
    public static void Require(this Command command, Option option, Option other, bool together, string why) =>
        command.Validators.Add(result =>
        {
            if (result.GetResult(option) is { Implicit: false } && (result.GetResult(other) is { Implicit: false }) != together)
            {
                result.AddError($"{option.Name} cannot be used {(together ? "without" : "with")} {other.Name}: {why}.");
            }
        });

    /// <summary>An Npgsql connection string.</summary>
    public static Option<string> ConnectionString(this Option<string> option) =>
        option.Check(value => string.IsNullOrWhiteSpace(value) ? "must not be empty."
            : PostgresConnectionStrings.ParseError(value) is { } error
            ? $"is not a PostgreSQL connection string ({error}); for example \"Host=db;Username=roundabout;Password=...;Database=roundabout\"."
            : null);

    /// <summary>An integer from <paramref name="min"/> to <paramref name="max"/>; <paramref name="why"/> explains the upper bound.</summary>
    public static Option<int> Between(this Option<int> option, int min, Func<int> max, string why = "") =>
        option.Check(value => value >= min && value <= max() ? null : $"must be from {Number(min)} to {Number(max())}{why} (got {Number(value)}).");

    public static Option<int> AtLeast(this Option<int> option, int min, string unit = "") =>
        option.Check(value => value >= min ? null : $"must be at least {Number(min)}{unit} (got {Number(value)}).");

    /// <summary>Every value of a repeatable option at least <paramref name="min"/>.</summary>
    public static Option<int[]> EachAtLeast(this Option<int[]> option, int min) =>
        option.Check(values => values.Where(value => value < min).Select(value => (int?)value).FirstOrDefault() is { } bad
            ? $"values must each be at least {Number(min)} (got {Number(bad)})."
            : null);

    /// <summary>A share, from 0 to 1.</summary>
    public static Option<double> Share(this Option<double> option) =>
        option.Check(value => value is >= 0 and <= 1 ? null : $"must be between 0 and 1 (got {value.ToString(CultureInfo.InvariantCulture)}).");

    /// <summary>An amount of money to move, in minor units: what <see cref="Money.ValidateAmount"/> accepts.</summary>
    public static Option<long> Amount(this Option<long> option) =>
        option.CheckWith(value => Money.ValidateAmount(value, option.Name));

    /// <summary>What each account opens with: what <see cref="Library.BankDirectory.ValidateOpeningBalance"/> accepts.</summary>
    public static Option<long> OpeningBalance(this Option<long> option) =>
        option.CheckWith(value => Library.BankDirectory.ValidateOpeningBalance(value, option.Name));

    /// <summary>An account id or record key: what <see cref="GrainKeys.Validate"/> accepts. A missing optional key passes.</summary>
    public static Option<T> Key<T>(this Option<T> option)
        where T : class? =>
        option.CheckWith(value =>
        {
            if (value is string key)
            {
                GrainKeys.Validate(key, option.Name);
            }
        });

    /// <summary>A record's value (UTF-8 text) that a record can hold.</summary>
    public static Option<string> RecordValue(this Option<string> option) =>
        option.Check(value => Encoding.UTF8.GetByteCount(value) is var bytes && bytes > RecordLimits.MaxValueBytes
            ? $"is {bytes} bytes of UTF-8; a record holds at most {RecordLimits.MaxValueBytes} bytes."
            : null);

    /// <summary>A path that names something (an empty one named nothing, and .NET said so in its own words).</summary>
    public static Option<string> NonEmptyPath(this Option<string> option, string what = "a directory") =>
        option.Check(value => string.IsNullOrWhiteSpace(value) ? $"must name {what} (got an empty value)." : null);

    public static Option<string> NotEmpty(this Option<string> option) =>
        option.Check(value => string.IsNullOrWhiteSpace(value) ? "must not be empty." : null);

    /// <summary>A number of seconds for a benchmark: see <see cref="BenchScratch.Duration"/>.</summary>
    public static Option<double> Seconds(this Option<double> option) =>
        option.ParsedAsSeconds().Check(value => BenchScratch.DurationProblem(value));

    /// <summary>
    /// Reads the value as a number in the invariant culture, with a point before any fraction and
    /// nothing else: .NET's default parsing takes a comma for a thousands separator, so "0,5" would
    /// run for 5 seconds.
    /// </summary>
    private static Option<double> ParsedAsSeconds(this Option<double> option)
    {
        option.CustomParser = result =>
        {
            var token = result.Tokens.Count == 1 ? result.Tokens[0].Value : string.Join(' ', result.Tokens.Select(token => token.Value));
            if (double.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds))
            {
                return seconds;
            }

            result.AddError($"{option.Name} must be a number of seconds, with a point before a fraction, such as 2.5 (got '{token}').");
            return 0;
        };
        return option;
    }

    /// <summary>
    /// The length of a load run (`demo`, `bank run`): any positive number of seconds, fractions
    /// included as for the benchmarks, up to <see cref="BankWorkload.MaxRunSeconds"/>.
    /// </summary>
    public static Option<double> RunSeconds(this Option<double> option) =>
        option.ParsedAsSeconds().Check(value => double.IsFinite(value) && value > 0 && value <= BankWorkload.MaxRunSeconds
            ? null
            : $"must be a positive number of seconds, at most {Number(BankWorkload.MaxRunSeconds)} (30 days) (got {value.ToString(CultureInfo.InvariantCulture)}).");

    /// <summary>A TCP port.</summary>
    public static Option<T> Port<T>(this Option<T> option) =>
        option.Check(value => value is not int port || port is >= 1 and <= 65535 ? null : $"must be a port from 1 to 65535 (got {port}).");

    private static bool ValueOrDefault<T>(CommandResult command, Option<T> option, out T value)
    {
        if (command.GetResult(option) is { } given)
        {
            return TryGetValue(given, out value);
        }

        value = option.HasDefaultValue ? (T)option.GetDefaultValue()! : default!;
        return option.HasDefaultValue;
    }

    /// <summary>False for a value that does not convert (not a number, say): the parser reports that itself.</summary>
    private static bool TryGetValue<T>(OptionResult result, out T value)
    {
        try
        {
            value = result.GetValueOrDefault<T>()!;
            return true;
        }
        catch (InvalidOperationException)
        {
            value = default!;
            return false;
        }
    }

    private static string Number(int value) => value.ToString("N0", CultureInfo.InvariantCulture);
}
