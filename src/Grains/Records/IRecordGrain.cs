using Orleans.Concurrency;
using Roundabout.Transactions.OneRound;

namespace Roundabout.Records;

/// <summary>
/// A versioned document (bytes; JSON or anything else). The key is the record's name.
/// Every method joins the caller's transaction or runs as a transaction of its own.
/// Versions count the record's writes: 0 means it was never written.
/// </summary>
public interface IRecordGrain : IGrainWithStringKey
{
    [Transaction(TransactionOption.CreateOrJoin)]
    [ReadOnly]
    Task<VersionedValue> Get();

    /// <summary>Writes <paramref name="value"/> and returns the new version.</summary>
    [Transaction(TransactionOption.CreateOrJoin)]
    Task<long> Put(byte[] value);

    /// <summary>Removes the value (the version still counts up); returns false if there was none.</summary>
    [Transaction(TransactionOption.CreateOrJoin)]
    Task<bool> Delete();

    /// <summary>
    /// Writes <paramref name="value"/> only if the record is at <paramref name="expectedVersion"/>.
    /// A mismatch changes nothing and does not abort the caller's transaction.
    /// </summary>
    [Transaction(TransactionOption.CreateOrJoin)]
    Task<CompareAndSetResult> CompareAndSet(long expectedVersion, byte[] value);

    /// <summary><see cref="Get"/> as this record's part of a one-round transaction; the part's result is the <see cref="VersionedValue"/>.</summary>
    [AlwaysInterleave]
    Task<PreparedPart> GetInRound(OneRoundTicket round);

    /// <summary><see cref="Put"/> as this record's part of a one-round transaction; the part's result is the new version (a <see cref="long"/>).</summary>
    [AlwaysInterleave]
    Task<PreparedPart> PutInRound(OneRoundTicket round, byte[] value);
}

/// <summary>A record's value (<c>null</c> when absent or deleted) and version.</summary>
[GenerateSerializer, Immutable]
public sealed record VersionedValue([property: Id(0)] byte[]? Value, [property: Id(1)] long Version)
{
    public bool Exists => Value is not null;
}

/// <summary>Whether a compare-and-set wrote, and the record's version after it.</summary>
[GenerateSerializer, Immutable]
public sealed record CompareAndSetResult([property: Id(0)] bool Succeeded, [property: Id(1)] long Version);
