using Roundabout.Client.Embedded;
using Roundabout.Tests.Storage;
using Xunit.Abstractions;

namespace Roundabout.Tests.Cli;

/// <summary>
/// Opening accounts never pays one that exists: `bank init` and `bank run` paid the accounts of a
/// demo on the same --data again (3054 became 6054).
/// </summary>
public sealed class OneBankTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDataDirectory _data = new();

    /// <summary>
    /// Accounts that hold money but are not in the bank's directory (a demo of an earlier version
    /// paid its accounts without listing them) are taken in as they are, never paid again.
    /// </summary>
    [Fact]
    public async Task Opening_AccountsThatHoldMoneyOutsideTheDirectory_TakesThemInWithoutPaying()
    {
        await using (var silo = await EmbeddedSilo.StartAsync(_data.Path))
        {
            foreach (var (account, amount) in new[] { ("account-0", 1000L), ("account-1", 1017L), ("account-2", 1037L) })
            {
                await silo.Roundabout.DepositAsync(account, amount);
            }
        }

        Assert.Contains("opened 0 new accounts; 3 already existed", await RunAsync("bank", "init", "--accounts", "3"));
        Assert.Contains("3 accounts, total 3054", await RunAsync("bank", "audit"));
        Assert.Equal("account-2: 1037", (await RunAsync("bank", "balance", "--account", "account-2")).Trim());

        await RunAsync("bank", "run", "--accounts", "10", "--duration", "1", "--concurrency", "2");
        Assert.Contains($"10 accounts, total {3054 + (7 * 1_000_000)}", await RunAsync("bank", "audit"));
    }

    public void Dispose() => _data.Dispose();

    private async Task<string> RunAsync(params string[] args)
    {
        var (code, text, error) = await CliRunner.RunAsync([.. args, "--data", _data.Path]);
        output.WriteLine($"> roundabout {string.Join(' ', args)}: exit {code}");
        output.WriteLine(text);
        output.WriteLine(error);
        Assert.True(code == 0, $"roundabout {string.Join(' ', args)} exited {code}: {error}");
        return text;
    }
}
