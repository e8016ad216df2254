using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Hosting;
using Roundabout.Accounts;
using Roundabout.Records;
using Roundabout.Transactions;
using Xunit.Abstractions;

namespace Roundabout.Tests.Crash;

/// <summary>
/// A silo child process killed with SIGKILL at random moments under a transfer load, and started
/// again on the same storage, ten times. Each transfer also writes a
/// receipt record in the same transaction, so afterwards the test knows exactly which transfers
/// took effect and can check the balances against them. Half the transfers are ordinary
/// transactions and half one-round transactions (the same three writes, a part per grain).
/// </summary>
public sealed class KillLoop(ITestOutputHelper output)
{
    internal const int Accounts = 12;
    private const long InitialBalance = 1_000_000;
    private const int Kills = 10;
    internal const int Workers = 8;

    public static void AssertBalancesMatchReceipts(CrashHistory history)
    {
        Assert.Equal(Accounts * InitialBalance, history.Balances.Sum());
        var expected = Enumerable.Repeat(InitialBalance, Accounts).ToArray();
        foreach (var transfer in history.Attempted.Values.Where(t => history.Applied.Contains(t.Id)))
        {
            expected[transfer.From] -= transfer.Amount;
            expected[transfer.To] += transfer.Amount;
        }

        // Every account moved by exactly the transfers whose receipts exist: none is half there.
        Assert.Equal(expected, history.Balances);
    }

    /// <summary>Runs the loop on silos that <paramref name="startSilo"/> starts (given a file for their output).</summary>
    public async Task<CrashHistory> RunAsync(Func<string, SiloProcess> startSilo)
    {
        var logFile = Path.Combine(Path.GetTempPath(), $"roundabout-crash-{Guid.NewGuid():N}.log");
        var attempted = new ConcurrentDictionary<Guid, TransferAttempt>();
        var acknowledged = new ConcurrentBag<TransferAttempt>();
        var random = new Random(Environment.TickCount);
        var killsDone = 0;
        try
        {
            for (var cycle = 0; cycle <= Kills; cycle++)
            {
                await using var silo = startSilo(logFile);
                using var client = await silo.ConnectAsync(TimeSpan.FromSeconds(60));
                var grains = client.Services.GetRequiredService<IClusterClient>();
                if (cycle == 0)
                {
                    await OpenAccountsAsync(grains);
                }

                if (cycle == Kills)
                {
                    return await ReadBackAsync(grains, attempted, acknowledged);
                }

                var transactions = client.Services.GetRequiredService<IRoundaboutTransactions>();
                using var stop = new CancellationTokenSource();
                var workers = Enumerable.Range(0, Workers)
                    .Select(w => RunTransfersAsync(grains, transactions, new Random(random.Next()), cycle, attempted, acknowledged, stop.Token))
                    .ToArray();

                await Task.Delay(random.Next(300, 1_500));
                silo.Kill();
                killsDone++;
                await stop.CancelAsync();
                var finished = Task.WhenAll(workers);
                Assert.True(await Task.WhenAny(finished, Task.Delay(TimeSpan.FromSeconds(60))) == finished, "transfers did not finish after the kill");
                output.WriteLine($"cycle {cycle}: killed after {acknowledged.Count} acknowledged, {attempted.Count} attempted so far");
                await StopQuietlyAsync(client);
            }

            throw new InvalidOperationException("unreachable");
        }
        catch
        {
            if (File.Exists(logFile))
            {
                output.WriteLine(string.Join('\n', File.ReadLines(logFile).TakeLast(60)));
            }

            throw;
        }
        finally
        {
            output.WriteLine($"{killsDone} kills, {acknowledged.Count} acknowledged transfers");
            Assert.True(killsDone >= Kills || killsDone == 0);
            TryDelete(logFile);
        }
    }

    internal static async Task OpenAccountsAsync(IGrainFactory grains)
    {
        foreach (var account in Enumerable.Range(0, Accounts))
        {
            await grains.GetGrain<IAccountGrain>(AccountKey(account)).Deposit(InitialBalance);
        }
    }

    internal static async Task RunTransfersAsync(
        IGrainFactory grains,
        IRoundaboutTransactions transactions,
        Random random,
        int cycle,
        ConcurrentDictionary<Guid, TransferAttempt> attempted,
        ConcurrentBag<TransferAttempt> acknowledged,
        CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            var from = random.Next(Accounts);
            var to = (from + 1 + random.Next(Accounts - 1)) % Accounts;
            var transfer = new TransferAttempt(Guid.NewGuid(), from, to, random.Next(1, 100), cycle, Stopwatch.GetTimestamp());
            attempted[transfer.Id] = transfer;
            try
            {
                var (source, target, receipt) = (grains.GetGrain<IAccountGrain>(AccountKey(from)), grains.GetGrain<IAccountGrain>(AccountKey(to)), grains.GetGrain<IRecordGrain>(ReceiptKey(transfer.Id)));
                var done = Encoding.UTF8.GetBytes("done");

                // Half of them as one-round transactions: the same three writes, one call per grain.
                var call = random.Next(2) == 0
                    ? transactions.RunAsync(() => Task.WhenAll(source.Withdraw(transfer.Amount), target.Deposit(transfer.Amount), receipt.Put(done)))
                    : transactions.RunOneRoundAsync(round => [source.WithdrawInRound(round, transfer.Amount), target.DepositInRound(round, transfer.Amount), receipt.PutInRound(round, done)]);

                // The silo may be dead: an answer must still come (an error is fine), not a hang.
                if (await Task.WhenAny(call, Task.Delay(TimeSpan.FromSeconds(45), CancellationToken.None)) != call)
                {
                    throw new TimeoutException($"transfer {transfer.Id} got no answer in 45 s");
                }

                await call;
                acknowledged.Add(transfer with { AcknowledgedAt = Stopwatch.GetTimestamp() });
            }
            catch (TimeoutException)
            {
                throw;
            }
            catch (Exception)
            {
                // Conflicts, and everything the crash makes unknown: the receipts tell later.
                if (stop.IsCancellationRequested)
                {
                    return;
                }
            }
        }
    }

    internal static async Task<CrashHistory> ReadBackAsync(
        IGrainFactory grains,
        ConcurrentDictionary<Guid, TransferAttempt> attempted,
        ConcurrentBag<TransferAttempt> acknowledged)
    {
        // Reads wait while recovered prepared writes are settled from their decision records
        // (up to the resolution time-out), which can outlast the client's 5 s response time-out.
        var balances = new long[Accounts];
        for (var account = 0; account < Accounts; account++)
        {
            balances[account] = await WithPatienceAsync(() => grains.GetGrain<IAccountGrain>(AccountKey(account)).GetBalance());
        }

        var applied = new ConcurrentBag<Guid>();
        await Parallel.ForEachAsync(attempted.Keys, new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (id, _) =>
        {
            if ((await WithPatienceAsync(() => grains.GetGrain<IRecordGrain>(ReceiptKey(id)).Get())).Exists)
            {
                applied.Add(id);
            }
        });

        Assert.True(acknowledged.Count > Kills, $"only {acknowledged.Count} transfers were acknowledged: the test would prove little");
        return new CrashHistory(attempted, acknowledged.ToList(), applied.ToHashSet(), balances);
    }

    private static async Task<T> WithPatienceAsync<T>(Func<Task<T>> read)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await read();
            }
            catch (TimeoutException) when (attempt < 6)
            {
            }
        }
    }

    internal static async Task StopQuietlyAsync(IHost client)
    {
        try
        {
            await client.StopAsync(new CancellationTokenSource(TimeSpan.FromSeconds(5)).Token);
        }
        catch (Exception)
        {
            // The silo is gone; the client has nothing to say goodbye to.
        }
    }

    public static void TryDelete(string path)
    {
        try
        {
            if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }
            else if (File.Exists(path))
            {
                File.Delete(path);
            }
        }
        catch (IOException)
        {
        }
    }

    private static string AccountKey(int index) => $"crash-account-{index}";

    private static string ReceiptKey(Guid transfer) => $"crash-receipt-{transfer:N}";

    public sealed record TransferAttempt(Guid Id, int From, int To, long Amount, int Cycle, long StartedAt, long AcknowledgedAt = 0);

    public sealed record CrashHistory(
        ConcurrentDictionary<Guid, TransferAttempt> Attempted,
        List<TransferAttempt> Acknowledged,
        HashSet<Guid> Applied,
        long[] Balances);
}
