using Roundabout.Accounts;
using Roundabout.Tests.Infrastructure;
using Roundabout.Transactions;
using Xunit.Abstractions;

namespace Roundabout.Tests.Cluster;

/// <summary>
/// Hundreds of concurrent transfers with concurrent audits: money is never created or
/// destroyed, no account goes past its overdraft limit, and every balance is exactly what the
/// transfers that were acknowledged to the client say it should be.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class BankInvariantTests(ClusterFixture fixture, ITestOutputHelper output)
{
    private const int MaxConflictRetries = 20;
    private const int MinAudits = 5;

    private IGrainFactory Grains => fixture.Cluster.Grains;

    private IBankGrain Bank => Grains.GetGrain<IBankGrain>(0);

    [Fact]
    public Task Transfer_ConcurrentOnTenHotAccounts_KeepsTheTotalAndMatchesTheLedger() =>
        RunAndCheckAsync(accountCount: 10, transferCount: 600, concurrency: 48, seed: 1);

    [Fact]
    public Task Transfer_ConcurrentOverAThousandAccounts_KeepsTheTotalAndMatchesTheLedger() =>
        RunAndCheckAsync(accountCount: 1_000, transferCount: 1_000, concurrency: 64, seed: 2);

    private async Task RunAndCheckAsync(int accountCount, int transferCount, int concurrency, int seed)
    {
        var accounts = await TestAccounts.CreateAsync(Grains, accountCount);
        var ids = accounts.Select(a => a.Id).ToArray();
        var total = accounts.Sum(a => a.InitialBalance);
        Assert.Equal(total, await Bank.Audit(ids));

        var transfers = TestAccounts.RandomTransfers(accounts, transferCount, seed);
        var ledger = new TransferLedger();
        int committed = 0, conflicts = 0, gaveUp = 0, insufficient = 0;
        var failures = new System.Collections.Concurrent.ConcurrentQueue<Exception>();

        var next = -1;
        var transfersDone = false;
        var workers = Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            int index;
            while ((index = Interlocked.Increment(ref next)) < transfers.Length)
            {
                var transfer = transfers[index];
                for (var attempt = 0; ; attempt++)
                {
                    try
                    {
                        await Bank.Transfer(transfer.From, transfer.To, transfer.Amount);
                        ledger.Record(transfer.From, transfer.To, transfer.Amount);
                        Interlocked.Increment(ref committed);
                        break;
                    }
                    catch (TransactionConflictException) when (attempt < MaxConflictRetries)
                    {
                        Interlocked.Increment(ref conflicts);
                    }
                    catch (TransactionConflictException)
                    {
                        Interlocked.Increment(ref gaveUp);
                        break;
                    }
                    catch (InsufficientFundsException)
                    {
                        Interlocked.Increment(ref insufficient);
                        break;
                    }
                    catch (Exception exception)
                    {
                        // In-doubt outcomes (and anything else) must not happen in a healthy cluster.
                        failures.Enqueue(exception);
                        break;
                    }
                }
            }
        })).ToArray();

        var audits = 0;
        var auditFailures = new List<string>();
        var auditor = Task.Run(async () =>
        {
            while (!Volatile.Read(ref transfersDone) || audits < MinAudits)
            {
                try
                {
                    var audited = await Bank.Audit(ids);
                    if (audited != total)
                    {
                        auditFailures.Add($"audit {audits} saw {audited}, not {total}");
                    }

                    var snapshots = await ReadAllAsync(ids);
                    if (snapshots.Sum(s => s.Balance) != total)
                    {
                        auditFailures.Add($"snapshot {audits} summed to {snapshots.Sum(s => s.Balance)}, not {total}");
                    }

                    for (var i = 0; i < accounts.Length; i++)
                    {
                        if (snapshots[i].Balance < -accounts[i].OverdraftLimit)
                        {
                            auditFailures.Add($"snapshot {audits} saw {accounts[i].Id} at {snapshots[i].Balance}, past its limit {accounts[i].OverdraftLimit}");
                        }
                    }
                }
                catch (Exception exception)
                {
                    auditFailures.Add($"read-only audit {audits} failed: {exception}");
                }

                audits++;
            }
        });

        await Task.WhenAll(workers);
        Volatile.Write(ref transfersDone, true);
        await auditor;

        output.WriteLine($"{committed} committed, {insufficient} insufficient funds, {conflicts} conflicts retried, {gaveUp} gave up, {audits} audits");
        Assert.Empty(failures.Select(f => f.ToString()));
        Assert.Empty(auditFailures);
        Assert.Equal(transferCount, committed + insufficient + gaveUp);
        Assert.Equal(committed, ledger.Count);

        // Not vacuous: plenty of transfers went through, and some were refused for lack of funds.
        Assert.True(committed >= transferCount / 4, $"only {committed} of {transferCount} transfers committed");
        Assert.True(insufficient > 0, "no transfer ran into an overdraft limit");

        var final = await ReadAllAsync(ids);
        var mismatches = accounts
            .Select((account, i) => (account, expected: account.InitialBalance + ledger.DeltaOf(account.Id), actual: final[i].Balance))
            .Where(x => x.expected != x.actual)
            .Select(x => $"{x.account.Id}: expected {x.expected}, found {x.actual}")
            .ToList();
        Assert.Empty(mismatches);
        Assert.All(accounts.Zip(final), pair => Assert.True(pair.Second.Balance >= -pair.First.OverdraftLimit, $"{pair.First.Id} ended at {pair.Second.Balance}"));
        Assert.Equal(total, final.Sum(s => s.Balance));
        Assert.Equal(total, await Bank.Audit(ids));
        Assert.Contains(accounts.Zip(final), pair => pair.First.InitialBalance != pair.Second.Balance);
    }

    /// <summary>Every account's balance and limit in one read-only snapshot.</summary>
    private Task<AccountSnapshot[]> ReadAllAsync(string[] ids) =>
        fixture.Cluster.Transactions.RunAsync(
            () => Task.WhenAll(ids.Select(id => Grains.GetGrain<IAccountGrain>(id).GetSnapshot())),
            TransactionOptions.ReadOnlySnapshot);
}
