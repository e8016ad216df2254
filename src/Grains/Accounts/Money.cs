namespace Roundabout.Accounts;

/// <summary>Validation of amounts and of the transfers and audits that move and count them, shared by the grains and the client helpers.</summary>
public static class Money
{
    /// <summary>The largest amount one operation may move: 10^15 minor units, far from overflow.</summary>
    public const long MaxAmount = 1_000_000_000_000_000;

    public static void ValidateAmount(long amount, string parameterName = "amount")
    {
        if (amount <= 0)
        {
            throw new ArgumentOutOfRangeException(parameterName, amount, "The amount must be positive (in minor units, e.g. cents).");
        }

        if (amount > MaxAmount)
        {
            throw new ArgumentOutOfRangeException(parameterName, amount, $"The amount must be at most {MaxAmount} minor units.");
        }
    }

    /// <summary>A transfer's input: two valid, different account ids and a valid amount.</summary>
    public static void ValidateTransfer(string? from, string? to, long amount)
    {
        GrainKeys.Validate(from, nameof(from));
        GrainKeys.Validate(to, nameof(to));
        ValidateAmount(amount);
        if (string.Equals(from, to, StringComparison.Ordinal))
        {
            throw new ArgumentException($"A transfer needs two different accounts; both are '{from}'.", nameof(to));
        }
    }

    /// <summary>
    /// An audit's accounts: valid ids, each once. An account listed twice would be counted twice,
    /// and the total would no longer say anything about the money.
    /// </summary>
    public static void ValidateAuditedAccounts(IReadOnlyCollection<string?> accounts, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(accounts, parameterName);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var account in accounts)
        {
            GrainKeys.Validate(account, parameterName);
            if (!seen.Add(account!))
            {
                throw new ArgumentException($"Account '{account}' is listed more than once; an audit counts each account once.", parameterName);
            }
        }
    }
}
