namespace Roundabout.Tests.Cli;

/// <summary>
/// A bad option value is refused while the command line is parsed, before anything starts: the
/// message names the option and what to give instead, and the hint to --help follows, as after a
/// value that does not parse. Before, the library's checks said it with .NET's parameter names
/// ("(Parameter 'idempotencyKey')"), range errors had no hint, and `bank run` named every option at once.
/// </summary>
public sealed class OptionMessageTests
{
    [Theory]
    [InlineData("error: --key: An account id, record key or idempotency key must not be null, empty or blank.", "bank", "transfer", "--from", "account-0", "--to", "account-1", "--amount", "1", "--key", "")]
    [InlineData("error: --amount: The amount must be positive (in minor units, e.g. cents). Actual value was 0.", "bank", "transfer", "--from", "account-0", "--to", "account-1", "--amount", "0")]
    [InlineData("error: --from: An account id, record key or idempotency key must not be null, empty or blank.", "bank", "transfer", "--from", "", "--to", "account-1", "--amount", "1")]
    [InlineData("error: --from and --to must be two different accounts (both are account-0).", "bank", "transfer", "--from", "account-0", "--to", "account-0", "--amount", "1")]
    [InlineData("error: --account: An account id, record key or idempotency key must not be null, empty or blank.", "bank", "balance", "--account", " ")]
    [InlineData("error: --balance: The amount must be at most 1000000000000000 minor units. Actual value was 1000000000000001.", "bank", "init", "--balance", "1000000000000001")]
    [InlineData("error: --balance: The opening balance must not be negative. Actual value was -1.", "bank", "init", "--balance", "-1")]
    [InlineData("error: --accounts must be from 1 to 17,078, what the bank's account directory (one record) can list (got 0).", "bank", "init", "--accounts", "0")]
    [InlineData("error: --duration must be a positive number of seconds, at most 2,592,000 (30 days) (got 0).", "bank", "run", "--duration", "0")]
    [InlineData("error: --duration must be a positive number of seconds, at most 2,592,000 (30 days) (got 100000000).", "bank", "run", "--duration", "100000000")]
    [InlineData("error: --duration must be a positive number of seconds, at most 2,592,000 (30 days) (got 100000000).", "demo", "--duration", "100000000")]
    [InlineData("error: --duration must be a positive number of seconds, at most 2,592,000 (30 days) (got NaN).", "demo", "--duration", "NaN")]
    [InlineData("error: --duration must be a number of seconds, with a point before a fraction, such as 2.5 (got '0,5').", "demo", "--duration", "0,5")]
    [InlineData("error: --duration must be a number of seconds, with a point before a fraction, such as 2.5 (got '1,5').", "bench", "bank", "--duration", "1,5")]
    [InlineData("error: --record-bytes must be from 1 to 4,194,304 bytes, the most one record of the log can hold (got 100,000,000).", "bench", "storage", "--record-bytes", "100000000")]
    [InlineData("error: --hot-share must be between 0 and 1 (got 2).", "bank", "run", "--hot-accounts", "10", "--hot-share", "2")]
    [InlineData("error: --hot-share cannot be used without --hot-accounts: it is the share of picks that go to the first --hot-accounts accounts, and without it there is no hot spot.", "bank", "run", "--hot-share", "0.5")]
    [InlineData("error: --hot-accounts must be at most --accounts (5) (got 5,000).", "bank", "run", "--accounts", "5", "--hot-accounts", "5000")]
    [InlineData("error: --hot-accounts must be at most --accounts (1,000) (got 1,001).", "bank", "run", "--hot-accounts", "1001")]
    [InlineData("error: --data must name a directory (got an empty value).", "bank", "audit", "--data", "")]
    [InlineData("error: --data must name a directory (got an empty value).", "demo", "--data", "")]
    [InlineData("error: --concurrency must be from 1 to 10,000 (got 0).", "demo", "--concurrency", "0")]
    [InlineData("error: --concurrency must be from 1 to 10,000 (got 100,000,000).", "bank", "run", "--concurrency", "100000000")]
    [InlineData("error: --accounts 10,000 with --balance 1,000,000,000,000,000 could hold up to 10,000,000,000,000,000,000 in all, past the 9,223,372,036,854,775,807 an audit can add up: open fewer accounts or give each less.", "bank", "init", "--accounts", "10000", "--balance", "1000000000000000")]
    [InlineData("error: --expected-version must be 0 (the record was never written) or a version it had (got -1).", "records", "cas", "--key", "k", "--value", "v", "--expected-version", "-1")]
    [InlineData("error: --key: An account id, record key or idempotency key is at most 256 UTF-16 characters long (most emoji count as two or more); this one has 257.", "records", "get", "--key", "{long}")]
    [InlineData("error: --silo-port must be a port from 1 to 65535 (got 0).", "silo", "--silo-port", "0")]
    [InlineData("error: --silo-port and --gateway-port must be two different ports (both are 30000).", "silo", "--silo-port", "30000")]
    [InlineData("error: --primary-port cannot be used with --postgres: silos that share a PostgreSQL database find each other there.", "silo", "--postgres", "Host=db", "--primary-port", "11111")]
    [InlineData("error: --advertised-address cannot be used without --postgres: localhost clustering always uses the loopback address.", "silo", "--advertised-address", "10.0.0.1")]
    [InlineData("error: --advertised-address 0.0.0.0 is not an address others can reach this silo at; name one of this host's addresses.", "silo", "--postgres", "Host=db", "--advertised-address", "0.0.0.0")]
    [InlineData("error: --listen-address cannot be used without --postgres: localhost clustering always listens on the loopback address.", "silo", "--listen-address", "127.0.0.1")]
    [InlineData("error: --listen-address my-host is not an IP address; name one of this host's addresses (a host name is not taken here).", "silo", "--postgres", "Host=db", "--listen-address", "my-host")]
    [InlineData("error: --listen-address fe80::1%1 is a link-local address, which other hosts cannot be told how to reach; name a routable one.", "silo", "--postgres", "Host=db", "--listen-address", "fe80::1%1")]
    [InlineData("error: --postgres is not a PostgreSQL connection string (Couldn't set bogus (Parameter 'bogus')); for example \"Host=db;Username=roundabout;Password=...;Database=roundabout\".", "silo", "--postgres", "Bogus=1")]
    [InlineData("error: --postgres is not a PostgreSQL connection string (Npgsql could not read it, KeyNotFoundException: a setting without a value, or one it does not know); for example \"Host=db;Username=roundabout;Password=...;Database=roundabout\".", "bank", "balance", "--account", "a", "--postgres", "a=")]
    [InlineData("error: --postgres is not a PostgreSQL connection string (it names no Host, the database server to connect to); for example \"Host=db;Username=roundabout;Password=...;Database=roundabout\".", "bank", "audit", "--postgres", "Password=x")]
    [InlineData("error: --postgres must not be empty.", "bank", "audit", "--postgres", "")]
    [InlineData("error: --postgres cannot be used with --gateway: a client finds its gateways either in the list or in the database.", "bank", "audit", "--postgres", "Host=db", "--gateway", "localhost:1")]
    [InlineData("error: --data cannot be used with --postgres: the data directory holds the embedded log, and this silo keeps its records in the database.", "silo", "--postgres", "Host=db", "--data", "d")]
    [InlineData("error: --data cannot be used with --gateway: the data directory is the embedded silo's, and a cluster's silos keep their own.", "bank", "audit", "--gateway", "localhost:1", "--data", "d")]
    [InlineData("error: --writers values must each be at least 1 (got 0).", "bench", "storage", "--writers", "1", "0")]
    public async Task BadValue_OneLineNamingTheOptionThenTheHint(string expected, params string[] args)
    {
        args = args.Select(arg => arg == "{long}" ? new string('k', 257) : arg).ToArray();
        // Were the value let through, the command would run: on nothing that matters, and not for long.
        string[] harmless = args.Contains("--data") || args.Contains("--postgres") ? []
            : args[0] is "bank" or "records" ? ["--gateway", "localhost:1"]
            : ["--data", Path.Combine(Path.GetTempPath(), $"roundabout-options-{Guid.NewGuid():N}")];
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        var (code, output, error) = await CliRunner.RunAsync(deadline.Token, [.. args, .. harmless]);

        Assert.Equal(2, code);
        Assert.Equal("", output);
        var verb = string.Join(' ', args.TakeWhile(arg => !arg.StartsWith("--", StringComparison.Ordinal)));
        Assert.Equal([expected, $"see `roundabout {verb} --help`"], error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }

    /// <summary>
    /// Addresses that need a lookup, or each other, to be judged: refused when the command runs,
    /// before the silo starts (where Ctrl+C can stop a lookup that hangs), in the options' names.
    /// </summary>
    [Theory]
    [InlineData("error: --advertised-address no-such-host.invalid is neither an IP address nor a host name that resolves to an IPv4 address.", "--advertised-address", "no-such-host.invalid")]
    [InlineData("error: --advertised-address 1 is a shortened IPv4 address, which would be read as 0.0.0.1; write all four parts.", "--advertised-address", "1")]
    [InlineData("error: --advertised-address {long} is neither an IP address nor a host name that resolves to an IPv4 address.", "--advertised-address", "{long}")]
    [InlineData("error: --listen-address 127.0.0.1 is a loopback address and --advertised-address 10.1.2.3 is not: connections to 10.1.2.3 would not reach a silo that listens on loopback only.", "--listen-address", "127.0.0.1", "--advertised-address", "10.1.2.3")]
    [InlineData("error: --listen-address ::1 is an IPv6 address and --advertised-address 127.0.0.1 an IPv4 one: the silo would be reached at an address it does not listen on.", "--listen-address", "::1", "--advertised-address", "127.0.0.1")]
    public async Task SiloAddresses_RefusedBeforeTheSiloStarts_InOneLineNamingTheOptions(string expected, params string[] args)
    {
        // A name longer than DNS allows (253 characters) made the lookup throw what the command did not catch.
        var longName = new string('a', 300);
        args = args.Select(arg => arg == "{long}" ? longName : arg).ToArray();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        var (code, output, error) = await CliRunner.RunAsync(deadline.Token, ["silo", "--postgres", "Host=db", .. args]);

        Assert.Equal(2, code);
        Assert.Equal("", output);
        Assert.Equal(expected.Replace("{long}", longName, StringComparison.Ordinal), CliRunner.ErrorLine(error));
    }
}
