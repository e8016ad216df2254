namespace Roundabout.Transactions;

/// <summary>
/// Carries the native API's choices (isolation level, read-only) to the agent's
/// <c>StartTransaction</c>, which Orleans calls with only a read-only flag and a time-out.
/// </summary>
internal static class TransactionRequestScope
{
    private static readonly AsyncLocal<TransactionRequest?> Current = new();

    public static TransactionRequest? Take()
    {
        var request = Current.Value;
        Current.Value = null;
        return request;
    }

    public static void Set(TransactionRequest request) => Current.Value = request;

    public static void Clear() => Current.Value = null;
}

internal sealed record TransactionRequest(IsolationLevel Isolation, bool ReadOnly);
