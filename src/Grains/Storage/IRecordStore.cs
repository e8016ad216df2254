namespace Roundabout.Storage;

/// <summary>
/// The key -> record store that the transaction layer persists through.
/// </summary>
/// <remarks>
/// <para>
/// Every write names the ETag it expects: <c>null</c> means "the key must not exist",
/// anything else must match the key's current ETag. A mismatch fails the whole batch with
/// <see cref="Orleans.Storage.InconsistentStateException"/> and writes nothing of it. A batch
/// names each key at most once (<see cref="RecordBatch.ThrowIfInvalid"/>).
/// </para>
/// <para>
/// A batch is atomic and durable when <see cref="WriteAsync"/> completes: all of its writes
/// became durable, or none did. A backend is expected to make a batch durable with one
/// fsync or one database round trip, and to share that with the other batches pending at
/// the same moment (group commit).
/// </para>
/// <para>
/// An exception from <see cref="WriteAsync"/> other than <see cref="Orleans.Storage.InconsistentStateException"/>
/// does not prove that nothing became durable: callers must treat the outcome as unknown.
/// </para>
/// </remarks>
public interface IRecordStore
{
    /// <summary>Reads a record, or <c>null</c> when the key does not exist.</summary>
    Task<StoredRecord?> ReadAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>
    /// Writes a batch atomically after checking every write's expected ETag.
    /// Returns the new ETag of each write, in order (<c>null</c> for a delete).
    /// </summary>
    Task<IReadOnlyList<string?>> WriteAsync(IReadOnlyList<RecordWrite> writes, CancellationToken cancellationToken = default);

    /// <summary>
    /// Non-null when this store makes batches durable in the order it accepted them and makes
    /// nothing durable after a failed batch; equal values mean one such order. A batch counts as
    /// accepted once <see cref="WriteAsync"/> has returned its task without a fault, so a store that
    /// claims a domain must have sequenced the batch before it returns (a wrapper that delays a
    /// write, or forwards it asynchronously, must not claim its inner store's domain). Then a writer
    /// that only needs batch A to be durable whenever a later batch B is need not wait for A:
    /// accepting B after A is enough (the transaction protocol answers prepare and commit this
    /// way, and waits only for the decision record). <c>null</c> (the default) promises nothing.
    /// </summary>
    Guid? OrderingDomain => null;

    /// <summary>
    /// For a store whose ETags are fixed when it sequences a batch: checks and sequences the batch
    /// exactly as <see cref="WriteAsync"/> does, and returns at once with the new ETags and the
    /// task that completes when the batch is durable (or faults if it does not become durable).
    /// A writer can then name the new ETag in its next write without waiting for the flush.
    /// Throws, without writing anything, whatever <see cref="WriteAsync"/>'s task would fault with
    /// for a refused batch. Returns <c>null</c>, having done nothing, when the store cannot do this
    /// (the default): the caller then uses <see cref="WriteAsync"/>.
    /// </summary>
    AcceptedWrites? TryAccept(IReadOnlyList<RecordWrite> writes) => null;
}

/// <summary>A batch a store has sequenced: the ETag of each write (<c>null</c> for a delete), and when it is durable.</summary>
public readonly record struct AcceptedWrites(IReadOnlyList<string?> ETags, Task Durable);

/// <summary>A stored record: its bytes and the ETag that a later write must name.</summary>
public sealed record StoredRecord(ReadOnlyMemory<byte> Value, string ETag);

/// <summary>
/// One write of a batch. <paramref name="Value"/> <c>null</c> deletes the key.
/// <paramref name="ExpectedETag"/> <c>null</c> requires that the key does not exist.
/// </summary>
public sealed record RecordWrite(string Key, ReadOnlyMemory<byte>? Value, string? ExpectedETag)
{
    public static RecordWrite Put(string key, ReadOnlyMemory<byte> value, string? expectedETag) => new(key, value, expectedETag);

    public static RecordWrite Delete(string key, string? expectedETag) => new(key, null, expectedETag);
}
