namespace Roundabout.Accounts;

/// <summary>What a call of <see cref="IBankGrain.TransferOnce"/> did, when it did not throw.</summary>
public enum TransferOutcome
{
    /// <summary>This call moved the money.</summary>
    Applied,

    /// <summary>
    /// An earlier call with the same key had moved it (the first of two concurrent calls, or one
    /// whose answer was lost): this call changed nothing.
    /// </summary>
    AlreadyApplied,
}
