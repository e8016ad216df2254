using System.Text.RegularExpressions;
using Roundabout.Client.Embedded;
using Roundabout.Tests.Storage;
using Xunit.Abstractions;

namespace Roundabout.Tests.Cli;

/// <summary>
/// `demo` and `bank` on one --data are one bank: the demo lists its accounts in the bank's
/// directory, opening accounts never pays one that exists, and the demo's audits sum the whole
/// bank. Before, the bank verbs did not see the demo's accounts ("Unknown account"), `bank init`
/// and `bank run` paid them again (3054 became 6054, a demo after `bank run --accounts 10` found
/// 10,100,000), and a default demo after a larger one showed less than the bank held.
/// </summary>
public sealed class OneBankTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDataDirectory _data = new();

    /// <summary>After any sequence of the verbs, `bank audit` is the total ever paid in, and so is every demo's audit.</summary>
    [Fact]
    public async Task Verbs_OnOneDirectory_TheBankHoldsWhatWasPaidIn()
    {
        var paidIn = 0L;

        var demo = await RunAsync("demo", "--accounts", "10", "--duration", "1", "--concurrency", "4");
        Assert.Contains("Opened 10 accounts with 1000 each (10000 in total).", demo);
        paidIn += 10 * 1000;
        AssertDemoAudited(demo, paidIn);
        Assert.Matches(@"^account-3: \d+$", (await RunAsync("bank", "balance", "--account", "account-3")).Trim());

        Assert.Contains("opened 2 new accounts with 50 each; 10 already existed", await RunAsync("bank", "init", "--accounts", "12", "--balance", "50"));
        paidIn += 2 * 50;
        Assert.Contains($"12 accounts, total {paidIn}", await RunAsync("bank", "audit"));

        var run = await RunAsync("bank", "run", "--accounts", "15", "--balance", "7", "--duration", "1", "--concurrency", "4");
        Assert.Contains("opened 3 new accounts with 7 each; 12 already existed", run);
        paidIn += 3 * 7;

        await RunAsync("bank", "transfer", "--from", "account-0", "--to", "account-14", "--amount", "5");

        // A smaller demo: its transfers use 5 accounts, its audits sum all 15.
        demo = await RunAsync("demo", "--accounts", "5", "--duration", "1", "--concurrency", "4");
        Assert.Contains($"Found the 5 accounts of an earlier run. The bank has 15 accounts holding {paidIn} in total; transfers use the first 5, the audits sum all 15.", demo);
        AssertDemoAudited(demo, paidIn);

        // A larger one opens only what is missing.
        demo = await RunAsync("demo", "--accounts", "20", "--duration", "1", "--concurrency", "4");
        Assert.Contains($"Found 15 of the 20 accounts in the bank; opened 5 new ones with 1000 each. The bank has 20 accounts holding {paidIn + (5 * 1000)} in total.", demo);
        paidIn += 5 * 1000;
        AssertDemoAudited(demo, paidIn);

        Assert.Contains("opened 0 new accounts; 20 already existed", await RunAsync("bank", "init", "--accounts", "20"));
        Assert.Contains($"20 accounts, total {paidIn}", await RunAsync("bank", "audit"));
    }

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

        Assert.Contains("opened 7 new accounts with 1,000,000 each; 3 already existed", await RunAsync("bank", "run", "--accounts", "10", "--duration", "1", "--concurrency", "2"));
        Assert.Contains($"10 accounts, total {3054 + (7 * 1_000_000)}", await RunAsync("bank", "audit"));
    }

    public void Dispose() => _data.Dispose();

    /// <summary>Every audit the demo printed, and its final one, saw the bank's whole total.</summary>
    private static void AssertDemoAudited(string demo, long total)
    {
        Assert.Contains($"audited total       : {total} (expected {total}; ", demo);
        Assert.Contains(" 0 off)", demo);
        Assert.All(Regex.Matches(demo, @"audited total (\d+)$", RegexOptions.Multiline), audit => Assert.Equal($"{total}", audit.Groups[1].Value));
    }

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
