namespace Roundabout.State;

/// <summary>
/// A transactional 64-bit counter whose additions commute: concurrent transactions that only add
/// to it do not conflict, even on a hot counter (a hot account balance, say). Bounds are kept
/// with escrow: at commit, an addition is accepted only if the counter stays within its bounds
/// whichever of the pending additions commit, so no interleaving can break them.
/// Declare it on a grain constructor parameter with <see cref="TransactionalCounterAttribute"/>.
/// </summary>
public interface ITransactionalCounter
{
    /// <summary>
    /// The value in the transaction's snapshot (plus its own additions). This is a read like any
    /// other: under Serializable, a concurrent addition that commits first makes it conflict.
    /// </summary>
    Task<long> Read();

    /// <summary>
    /// Adds <paramref name="delta"/> unless even the snapshot shows that the result would leave
    /// [<paramref name="floor"/>, <paramref name="ceiling"/>]; then nothing is added, the result says
    /// so, and the transaction counts as having read the counter (its decision depended on the value).
    /// A successful addition is not a read: it conflicts with no other addition.
    /// </summary>
    Task<CounterAddResult> TryAdd(long delta, long floor = long.MinValue, long ceiling = long.MaxValue);
}

/// <summary>
/// Whether an addition was made, and the snapshot value it was judged against. A refusal carries
/// the exact snapshot value. An addition whose outcome did not depend on additions still undecided
/// below the snapshot is made without waiting for them, and carries the worst case it was judged
/// against (the lowest value the snapshot can have for a subtraction, the highest for an addition).
/// </summary>
[GenerateSerializer, Immutable]
public readonly record struct CounterAddResult([property: Id(0)] bool Added, [property: Id(1)] long SnapshotValue);

/// <summary>Marks a grain constructor parameter of type <see cref="ITransactionalCounter"/>.</summary>
[AttributeUsage(AttributeTargets.Parameter)]
public sealed class TransactionalCounterAttribute(string stateName) : Attribute, IFacetMetadata
{
    public string StateName { get; } = stateName;
}
