namespace Roundabout.Transactions.OneRound;

/// <summary>
/// Refuses a call that would join a transaction from inside a one-round part. Orleans would start
/// a separate transaction for it (the part is not an Orleans transaction), so its effects would
/// commit or abort apart from the part's: each grain of a one-round transaction is its own part.
/// </summary>
internal sealed class OneRoundCallGuard : IOutgoingGrainCallFilter
{
    public Task Invoke(IOutgoingGrainCallContext context)
    {
        if (AmbientTransaction.InOneRoundPart && context.Request is TransactionRequestBase { TransactionOption: TransactionOption.CreateOrJoin or TransactionOption.Join })
        {
            throw new InvalidOperationException(
                $"A one-round part cannot call {context.InterfaceMethod?.DeclaringType?.Name}.{context.InterfaceMethod?.Name} inside its transaction: "
                + "make that grain a part of its own in RunOneRoundAsync, or use RunAsync for a transaction whose calls depend on each other.");
        }

        return context.Invoke();
    }
}
