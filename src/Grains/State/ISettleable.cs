namespace Roundabout.State;

/// <summary>A transaction prepared at a slot, which <see cref="SlotActivation{TValue}.SettleAsync"/> settles one attempt at a time.</summary>
internal interface ISettleable
{
    /// <summary>
    /// Whether a settle from the decision record is under way: one at a time, since one can wait
    /// for as long as a transaction committer's operation runs.
    /// </summary>
    bool Settling { get; set; }
}
