using System.Text.Json;
using Roundabout.Accounts;
using Roundabout.Records;

namespace Roundabout.Client.Library;

/// <summary>
/// Which accounts the bank has opened: a record (JSON list of ids) beside the accounts, so
/// that `audit` knows what to sum and commands can tell an unknown account from an empty one.
/// </summary>
public sealed class BankDirectory(RoundaboutClient client)
{
    private readonly RoundaboutClient _client = client ?? throw new ArgumentNullException(nameof(client));

    public const string RecordKey = "roundabout-bank-directory";

    /// <summary>
    /// Refuses a write to the record the bank keeps for itself: with its account directory
    /// deleted or rewritten, a later <see cref="OpenAsync"/> would open (and pay) the same
    /// accounts again, creating money. Reading it is harmless.
    /// </summary>
    public static void ThrowIfDirectoryKey(string key, string paramName)
    {
        if (key == RecordKey)
        {
            throw new ArgumentException($"The record '{key}' is the bank's account directory; change accounts through the bank (BankDirectory.OpenAsync, `roundabout bank`), not by writing the record.", paramName);
        }
    }

    /// <summary>
    /// How many accounts named <paramref name="idOf"/>(0), (1), ... the directory can hold: it is
    /// one record, so its JSON list of ids must fit in <see cref="RecordLimits.MaxValueBytes"/>.
    /// </summary>
    public static int Capacity(Func<int, string> idOf)
    {
        ArgumentNullException.ThrowIfNull(idOf);
        var bytes = 2L; // [ and ]
        for (var count = 0; ; count++)
        {
            bytes += JsonSerializer.SerializeToUtf8Bytes(idOf(count)).Length + (count == 0 ? 0 : 1);
            if (bytes > RecordLimits.MaxValueBytes)
            {
                return count;
            }
        }
    }

    public async Task<IReadOnlyList<string>> GetAccountsAsync()
    {
        var record = await _client.GetAsync(RecordKey);
        return record.Value is null ? [] : JsonSerializer.Deserialize<string[]>(record.Value) ?? [];
    }

    /// <summary>
    /// What an account opens with: nothing (an empty account) or an amount that
    /// <see cref="Money.ValidateAmount"/> accepts. A negative opening balance would be money taken from nowhere.
    /// </summary>
    public static void ValidateOpeningBalance(long initialBalance, string parameterName)
    {
        if (initialBalance < 0)
        {
            throw new ArgumentOutOfRangeException(parameterName, initialBalance, "The opening balance must not be negative.");
        }

        if (initialBalance > 0)
        {
            Money.ValidateAmount(initialBalance, parameterName);
        }
    }

    /// <summary>
    /// An audit sums every listed account in 64 bits: refuse to open accounts whose opening
    /// balances would take the bank's total past <see cref="long.MaxValue"/>, before anything is
    /// paid. Otherwise every later audit of the bank would fail, and accounts cannot be closed.
    /// </summary>
    private async Task ThrowIfTotalWouldOverflowAsync(IReadOnlyList<string> listed, int newlyListed, long initialBalance)
    {
        if (initialBalance == 0 || newlyListed == 0)
        {
            return; // nothing paid in
        }

        // At most this much is paid in; an account found holding money is listed, not paid.
        var paidIn = (Int128)newlyListed * initialBalance;
        var held = listed.Count == 0 ? 0 : await _client.AuditAsync(listed);
        if (held + paidIn > long.MaxValue)
        {
            throw new ArgumentException(
                $"Opening {newlyListed:N0} account{(newlyListed == 1 ? "" : "s")} with {initialBalance:N0} each would take the bank's total to {held + paidIn:N0}, past the {long.MaxValue:N0} an audit can add up; open fewer accounts or give each less.",
                "accounts");
        }
    }

    /// <summary>
    /// Opens <paramref name="accounts"/> that do not exist yet with <paramref name="initialBalance"/>
    /// each; returns how many were new (and paid). An account exists when the directory lists it,
    /// or when it holds money without being listed (a demo of an earlier version paid its accounts
    /// without listing them): such an account is listed as it is, never paid again.
    /// </summary>
    /// <param name="cancellationToken">Stops between chunks of 100 accounts: those already opened stay open, and a later call opens the rest.</param>
    public async Task<int> OpenAsync(IReadOnlyCollection<string> accounts, long initialBalance, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(accounts);
        foreach (var account in accounts)
        {
            GrainKeys.Validate(account, nameof(accounts));
        }

        ValidateOpeningBalance(initialBalance, nameof(initialBalance));

        // Checked before anything is written: a directory that would outgrow its record failed
        // half-way through, with some accounts paid and open and the rest not.
        var listed = await GetAccountsAsync();
        var all = listed.Union(accounts, StringComparer.Ordinal).ToArray();
        var size = JsonSerializer.SerializeToUtf8Bytes(all).Length;
        if (size > RecordLimits.MaxValueBytes)
        {
            throw new ArgumentException(
                $"The bank's account directory is one record of at most {RecordLimits.MaxValueBytes / 1024} KiB; {all.Length} accounts would take {size / 1024} KiB.",
                nameof(accounts));
        }

        await ThrowIfTotalWouldOverflowAsync(listed, all.Length - listed.Count, initialBalance);

        // Each chunk opens its accounts and adds them to the directory in one transaction, so an
        // account is in the directory exactly when its opening deposit committed (or it held money
        // already); concurrent inits conflict on the directory record and the retry skips what the
        // other opened.
        var opened = 0;
        var directory = _client.Grains.GetGrain<Records.IRecordGrain>(RecordKey);
        foreach (var chunk in accounts.Distinct(StringComparer.Ordinal).Chunk(100))
        {
            opened += await _client.Runner.RunAsync(async () =>
            {
                var record = await directory.Get();
                var known = record.Value is null ? [] : JsonSerializer.Deserialize<string[]>(record.Value) ?? [];
                var fresh = chunk.Except(known, StringComparer.Ordinal).ToList();
                if (fresh.Count == 0)
                {
                    return 0;
                }

                var balances = await Task.WhenAll(fresh.Select(id => _client.Grains.GetGrain<IAccountGrain>(id).GetBalance()));
                var unpaid = fresh.Where((_, i) => balances[i] == 0).ToList();
                if (initialBalance > 0)
                {
                    await Task.WhenAll(unpaid.Select(id => _client.Grains.GetGrain<IAccountGrain>(id).Deposit(initialBalance)));
                }

                await directory.Put(JsonSerializer.SerializeToUtf8Bytes(known.Concat(fresh).ToArray()));
                return unpaid.Count;
            }, cancellationToken: cancellationToken);
        }

        return opened;
    }
}
