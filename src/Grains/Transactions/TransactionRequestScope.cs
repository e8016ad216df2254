namespace Roundabout.Transactions;

/// <summary>
/// Carries the native API's choices (isolation level, read-only) to the agent's
/// <c>StartTransaction</c>, which Orleans calls with only a read-only flag and a time-out.
/// </summary>
/// <remarks>
/// What scopes the choices to one transaction is the body's <see cref="Clear"/>, run first thing
/// inside the transaction, so that transactions the body starts do not inherit them. Clearing
/// them where the agent reads them would do nothing: <c>StartTransaction</c> is an async method,
/// and what it changes in the flow does not reach its caller.
/// </remarks>
internal static class TransactionRequestScope
{
    private static readonly AsyncLocal<TransactionRequest?> Requested = new();

    public static TransactionRequest? Current => Requested.Value;

    public static void Set(TransactionRequest request) => Requested.Value = request;

    public static void Clear() => Requested.Value = null;
}

internal sealed record TransactionRequest(IsolationLevel Isolation, bool ReadOnly);
