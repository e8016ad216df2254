using System.CommandLine;
using Roundabout.Client.Library;
using Roundabout.Client.Workload;

namespace Roundabout.Client.Commands;

/// <summary>
/// The accounts as `demo`, `bank init` and `bank run` open them: account-0 .. account-N-1, listed
/// in the bank's directory like any other, so every verb sees one bank.
/// </summary>
internal static class NumberedAccounts
{
    /// <summary>As many as the bank's directory (one record) can list; worked out only by the verbs that need it.</summary>
    private static readonly Lazy<int> MaxOnce = new(() => BankDirectory.Capacity(BankWorkload.AccountId));

    public static int Max => MaxOnce.Value;

    public static string[] First(int count) => Enumerable.Range(0, count).Select(BankWorkload.AccountId).ToArray();

    /// <summary>A count of accounts from <paramref name="min"/> to <see cref="Max"/>.</summary>
    public static Option<int> Count(this Option<int> option, int min) =>
        option.Between(min, () => Max, ", what the bank's account directory (one record) can list");
}
