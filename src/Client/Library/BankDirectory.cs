using System.Text.Json;
using Roundabout.Accounts;

namespace Roundabout.Client.Library;

/// <summary>
/// Which accounts the bank has opened: a record (JSON list of ids) beside the accounts, so
/// that `audit` knows what to sum and commands can tell an unknown account from an empty one.
/// </summary>
public sealed class BankDirectory(RoundaboutClient client)
{
    public const string RecordKey = "roundabout-bank-directory";

    public async Task<IReadOnlyList<string>> GetAccountsAsync()
    {
        var record = await client.GetAsync(RecordKey);
        return record.Value is null ? [] : JsonSerializer.Deserialize<string[]>(record.Value) ?? [];
    }

    /// <summary>Opens <paramref name="accounts"/> that are not open yet with <paramref name="initialBalance"/> each; returns how many were new.</summary>
    public async Task<int> OpenAsync(IReadOnlyCollection<string> accounts, long initialBalance)
    {
        ArgumentNullException.ThrowIfNull(accounts);
        foreach (var account in accounts)
        {
            Money.ValidateKey(account, nameof(accounts));
        }

        if (initialBalance > 0)
        {
            Money.ValidateAmount(initialBalance, nameof(initialBalance));
        }

        // Each chunk opens its accounts and adds them to the directory in one transaction, so an
        // account is in the directory exactly when its opening deposit committed; concurrent
        // inits conflict on the directory record and the retry skips what the other opened.
        var opened = 0;
        var directory = client.Grains.GetGrain<Records.IRecordGrain>(RecordKey);
        foreach (var chunk in accounts.Distinct(StringComparer.Ordinal).Chunk(100))
        {
            opened += await client.Runner.RunAsync(async () =>
            {
                var record = await directory.Get();
                var known = record.Value is null ? [] : JsonSerializer.Deserialize<string[]>(record.Value) ?? [];
                var fresh = chunk.Except(known, StringComparer.Ordinal).ToList();
                if (fresh.Count == 0)
                {
                    return 0;
                }

                if (initialBalance > 0)
                {
                    await Task.WhenAll(fresh.Select(id => client.Grains.GetGrain<IAccountGrain>(id).Deposit(initialBalance)));
                }

                await directory.Put(JsonSerializer.SerializeToUtf8Bytes(known.Concat(fresh).ToArray()));
                return fresh.Count;
            });
        }

        return opened;
    }
}
