using Orleans.Transactions;

namespace Roundabout.Transactions;

/// <summary>
/// The transaction that a transactional state's operation belongs to: the one-round part's while
/// its body runs (see <see cref="OneRound.OneRoundGrainExtensions"/>), otherwise the one that
/// Orleans' <c>[Transaction]</c> pipeline put into <see cref="TransactionContext"/>.
/// </summary>
/// <remarks>
/// A one-round part is an ordinary grain call, so Orleans' pipeline gives it no transaction; and
/// Orleans keeps the setter of its own context to itself. The part's info lives here instead,
/// in an async-local of the part's own flow: it ends with the part and reaches no other grain.
/// </remarks>
internal static class AmbientTransaction
{
    private static readonly AsyncLocal<TransactionInfo?> OneRoundPart = new();

    /// <summary>Whether the current flow is the body of a one-round part.</summary>
    public static bool InOneRoundPart => OneRoundPart.Value is not null;

    public static TransactionInfo GetRequired() => OneRoundPart.Value ?? TransactionContext.GetRequiredTransactionInfo();

    /// <summary>
    /// The request-context key that marks calls made from inside a one-round part. Orleans starts a
    /// transactional call's transaction on the callee's side, so that is where the agent refuses it
    /// (see <see cref="RoundaboutTransactionAgent.StartTransaction"/>).
    /// </summary>
    public const string OneRoundPartCallerKey = "roundabout.one-round-part";

    /// <summary>Called at the top of the part's own async method, so that both values end with it.</summary>
    public static void EnterOneRoundPart(TransactionInfo info)
    {
        OneRoundPart.Value = info;
        RequestContext.Set(OneRoundPartCallerKey, info.TransactionId);
    }

    public static void LeaveOneRoundPart()
    {
        OneRoundPart.Value = null;
        RequestContext.Remove(OneRoundPartCallerKey);
    }

    /// <summary>Whether this call came, directly or through other calls, from inside a one-round part.</summary>
    public static bool CalledFromOneRoundPart => RequestContext.Get(OneRoundPartCallerKey) is not null;

    /// <summary>
    /// Refuses to start a transaction of the native API inside a running transaction's body: it
    /// would commit even if the running one then aborts, which is never what the body means.
    /// (Orleans' <c>TransactionOption.Create</c> still starts an independent one on purpose.)
    /// </summary>
    /// <param name="what">The method, for the message ("RunAsync").</param>
    public static void ThrowIfInTransactionBody(string what)
    {
        if (TransactionContext.GetTransactionInfo() is { } ambient)
        {
            throw new InvalidOperationException(
                $"{what} would start a transaction of its own inside transaction {ambient.Id}, and commit even if that one aborts. "
                + "Inside a transaction's body, call grain methods, which join it; to run an independent transaction on purpose, "
                + "call a grain method marked [Transaction(TransactionOption.Create)] or use ITransactionClient.RunTransaction(TransactionOption.Create, ...).");
        }
    }

    /// <summary>
    /// Refuses to start a transaction inside a one-round part or anything it called: that
    /// transaction would commit or abort apart from the part that caused it.
    /// </summary>
    /// <param name="what">What was attempted, for the message ("call grains transactionally").</param>
    public static void ThrowIfInOneRoundPart(string what)
    {
        if (InOneRoundPart || CalledFromOneRoundPart)
        {
            throw new InvalidOperationException(
                $"A one-round part cannot {what}: it would run as a separate transaction. "
                + "Make that grain a part of its own in RunOneRoundAsync, or use RunAsync for a transaction whose calls depend on each other.");
        }
    }
}
