using Orleans.Concurrency;
using Roundabout.Transactions.OneRound;

namespace Roundabout.Tests.TestGrains;

/// <summary>The state of a <see cref="ITallyGrain"/>: a running total and how many writes made it.</summary>
[GenerateSerializer]
public sealed class TallyState
{
    [Id(0)]
    public int Total { get; set; }

    [Id(1)]
    public int Writes { get; set; }
}

/// <summary>What a tally looked like to a call: its total and the transaction the call ran in (null: none).</summary>
[GenerateSerializer, Immutable]
public sealed record TallyObservation([property: Id(0)] int Total, [property: Id(1)] string? TransactionId);

/// <summary>Thrown by the test grains on purpose, after they wrote.</summary>
[GenerateSerializer]
public sealed class TallyFailedException : Exception
{
    public TallyFailedException(string message)
        : base(message)
    {
    }
}

/// <summary>
/// A grain with one <c>[TransactionalState]</c> and a method for each <see cref="TransactionOption"/>,
/// to exercise Orleans' transactional programming model on Roundabout.
/// </summary>
public interface ITallyGrain : IGrainWithStringKey
{
    [Transaction(TransactionOption.CreateOrJoin)]
    [ReadOnly]
    Task<int> GetTotal();

    /// <summary>Adds <paramref name="amount"/>; returns what it saw (the total after, and the transaction).</summary>
    [Transaction(TransactionOption.CreateOrJoin)]
    Task<TallyObservation> Add(int amount);

    [Transaction(TransactionOption.Create)]
    Task<TallyObservation> AddInNewTransaction(int amount);

    [Transaction(TransactionOption.Join)]
    Task<TallyObservation> AddJoined(int amount);

    /// <summary>Adds if the call carries a transaction; otherwise only reports that it has none.</summary>
    [Transaction(TransactionOption.Supported)]
    Task<TallyObservation> AddIfSupported(int amount);

    /// <summary>Calls <see cref="AddJoined"/> on another tally: works only if a transaction was passed along.</summary>
    [Transaction(TransactionOption.Supported)]
    Task ForwardJoined(string otherKey, int amount);

    [Transaction(TransactionOption.NotAllowed)]
    Task<string?> NotAllowed();

    /// <summary>Reports the transaction it runs in (none) and adds to another tally, which therefore runs its own transaction.</summary>
    [Transaction(TransactionOption.Suppress)]
    Task<string?> SuppressedForward(string otherKey, int amount);

    /// <summary>Tries to read its own state without a transaction.</summary>
    [Transaction(TransactionOption.Suppress)]
    Task<int> SuppressedRead();

    /// <summary>Adds, then throws <see cref="TallyFailedException"/>.</summary>
    [Transaction(TransactionOption.CreateOrJoin)]
    Task AddThenThrow(int amount);

    /// <summary>Adds here, then to another tally in the same transaction; throws afterwards if asked to.</summary>
    [Transaction(TransactionOption.CreateOrJoin)]
    Task AddHereAndThere(string otherKey, int amount, bool throwAfterwards);

    /// <summary>Starts a transaction that adds <paramref name="amount"/> to another tally.</summary>
    [Transaction(TransactionOption.Create)]
    Task AddThere(string otherKey, int amount);

    /// <summary>
    /// Starts a transaction that adds <paramref name="amount"/> to another tally and then adds 100 to
    /// it in a transaction of its own, which commits first: this one then always aborts on a conflict.
    /// </summary>
    [Transaction(TransactionOption.Create)]
    Task AddThereThenConflict(string otherKey, int amount);

    /// <summary>Adds <paramref name="amount"/> to every tally in parallel; the one at <paramref name="failAt"/> (if any) throws after writing.</summary>
    [Transaction(TransactionOption.CreateOrJoin)]
    Task FanOut(string[] keys, int amount, int failAt);

    /// <summary>Starts an update that adds and then throws half-way, catches that, and returns the total it then reads.</summary>
    [Transaction(TransactionOption.CreateOrJoin)]
    Task<int> AddHalfWayThenRead(int amount);

    /// <summary>Adds <paramref name="amount"/> as this tally's part of a one-round transaction.</summary>
    [AlwaysInterleave]
    Task<PreparedPart> AddInRound(OneRoundTicket round, int amount);

    /// <summary>Adds as a one-round part, then throws <see cref="TallyFailedException"/>.</summary>
    [AlwaysInterleave]
    Task<PreparedPart> AddInRoundThenThrow(OneRoundTicket round, int amount);

    /// <summary>Adds as a one-round part, then calls <see cref="Add"/> on another tally from inside the part (which must be refused).</summary>
    [AlwaysInterleave]
    Task<PreparedPart> AddInRoundAndForward(OneRoundTicket round, string otherKey, int amount);

    /// <summary>Adds 1, <paramref name="times"/> times, with that many updates of the state running at once in this call.</summary>
    [Transaction(TransactionOption.Join)]
    Task AddOnesAtOnce(int times);

    /// <summary>Adds, and if the state refuses (a conflict) catches the exception and returns false instead.</summary>
    [Transaction(TransactionOption.Join)]
    Task<bool> AddCatchingRefusal(int amount);

    /// <summary><see cref="AddCatchingRefusal"/> as a one-round part.</summary>
    [AlwaysInterleave]
    Task<PreparedPart> AddInRoundCatchingRefusal(OneRoundTicket round, int amount);

    /// <summary>A read-only method that writes: it must fail.</summary>
    [Transaction(TransactionOption.CreateOrJoin)]
    [ReadOnly]
    Task<int> ReadOnlyButWrites(int amount);

    /// <summary>
    /// From now on a reader whose wait for a prepared write here times out stops there, before it
    /// looks at that write again, until <see cref="ReleaseHeldReaders"/>.
    /// </summary>
    [AlwaysInterleave]
    Task HoldReadersWhoseWaitTimesOut();

    /// <summary>Completes when a reader has stopped as <see cref="HoldReadersWhoseWaitTimesOut"/> asked.</summary>
    [AlwaysInterleave]
    Task WaitForHeldReader();

    /// <summary>Lets the held readers go on, and holds no more.</summary>
    [AlwaysInterleave]
    Task ReleaseHeldReaders();
}
