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
    /// other: under Serializable, a concurrent addition that commits first makes it conflict. If the
    /// transaction also adds to this counter, that holds under Snapshot too (first committer wins on
    /// the counter it wrote), so "read the value, then subtract" never acts on a stale value.
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
/// Whether an addition was made; for a refusal, the snapshot value it was judged against (the
/// refusal counts as a read of it, validated at commit like any read). An addition reads nothing,
/// so it reports no value: one it could report would be unvalidated, and when the addition went
/// ahead without waiting for undecided additions below the snapshot, not even a value the
/// snapshot is sure to have. Use <see cref="ITransactionalCounter.Read"/> to read the counter.
/// </summary>
[GenerateSerializer, Immutable]
public readonly record struct CounterAddResult([property: Id(0)] bool Added, [property: Id(1)] long? SnapshotValue);

/// <summary>Marks a grain constructor parameter of type <see cref="ITransactionalCounter"/>.</summary>
[AttributeUsage(AttributeTargets.Parameter)]
public sealed class TransactionalCounterAttribute(string stateName) : Attribute, IFacetMetadata
{
    public string StateName { get; } = stateName;
}
