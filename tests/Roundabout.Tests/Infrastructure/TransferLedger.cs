using Roundabout.Accounts;

namespace Roundabout.Tests.Infrastructure;

/// <summary>
/// The client's own record of the transfers it was told had committed, to compare with the
/// balances the cluster ends with.
/// </summary>
public sealed class TransferLedger
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, long> _deltas = new(StringComparer.Ordinal);
    private int _count;

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _count;
            }
        }
    }

    public void Record(string from, string to, long amount)
    {
        lock (_lock)
        {
            _deltas[from] = _deltas.GetValueOrDefault(from) - amount;
            _deltas[to] = _deltas.GetValueOrDefault(to) + amount;
            _count++;
        }
    }

    public long DeltaOf(string account)
    {
        lock (_lock)
        {
            return _deltas.GetValueOrDefault(account);
        }
    }
}

/// <summary>A transfer the test asked for: which accounts and how much.</summary>
public sealed record TransferRequest(string From, string To, long Amount);

/// <summary>Test accounts with a starting balance and an overdraft limit.</summary>
public sealed record TestAccount(string Id, long InitialBalance, long OverdraftLimit);

public static class TestAccounts
{
    /// <summary>
    /// Creates <paramref name="count"/> accounts: most are well funded, every fifth has a small
    /// balance and a small overdraft limit, every fifth is empty with no overdraft, so that
    /// transfers out of them run into <see cref="InsufficientFundsException"/>.
    /// </summary>
    public static async Task<TestAccount[]> CreateAsync(IGrainFactory grains, int count, long fundedBalance = 500)
    {
        var prefix = Keys.New("bank");
        var accounts = Enumerable.Range(0, count).Select(i => (i % 5) switch
        {
            0 => new TestAccount($"{prefix}-{i}", 5, 20),
            1 => new TestAccount($"{prefix}-{i}", 0, 0),
            _ => new TestAccount($"{prefix}-{i}", fundedBalance, 0),
        }).ToArray();

        await Parallel.ForEachAsync(accounts, new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (account, _) =>
        {
            var grain = grains.GetGrain<IAccountGrain>(account.Id);
            if (account.OverdraftLimit > 0)
            {
                await grain.SetOverdraftLimit(account.OverdraftLimit);
            }

            if (account.InitialBalance > 0)
            {
                await grain.Deposit(account.InitialBalance);
            }
        });
        return accounts;
    }

    /// <summary>Random transfers between distinct accounts, reproducible from <paramref name="seed"/>.</summary>
    public static TransferRequest[] RandomTransfers(TestAccount[] accounts, int count, int seed, int maxAmount = 60)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ =>
        {
            var from = random.Next(accounts.Length);
            var to = (from + 1 + random.Next(accounts.Length - 1)) % accounts.Length;
            return new TransferRequest(accounts[from].Id, accounts[to].Id, random.Next(1, maxAmount + 1));
        }).ToArray();
    }
}
