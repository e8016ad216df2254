using Orleans.Transactions;
using Roundabout.Transactions.Protocol;

namespace Roundabout.Transactions.OneRound;

/// <summary>
/// A one-round part's answer: the states it wrote (each now prepared, waiting for the
/// decision) and its vote. Return it from the grain method to the coordinator unchanged.
/// </summary>
/// <param name="TransactionId">The transaction the part belongs to.</param>
/// <param name="Grain">The grain that ran the part.</param>
/// <param name="Written">The states whose writes are prepared. Empty when the vote is no: the part dropped them itself.</param>
/// <param name="Vote">Yes when every state it touched validated; otherwise why not.</param>
/// <param name="Result">
/// What the part's body returned, if it returns something (see the overloads of
/// <see cref="OneRoundGrainExtensions.RunOneRoundPart(IGrainBase, OneRoundTicket, Func{Task})"/>);
/// it is only the transaction's once the transaction commits. Passed by reference between
/// activations of one process, like any <c>[Immutable]</c> value: return values that nobody changes.
/// </param>
[GenerateSerializer, Immutable]
public sealed record PreparedPart(
    [property: Id(0)] Guid TransactionId,
    [property: Id(1)] GrainId Grain,
    [property: Id(2)] ParticipantId[] Written,
    [property: Id(3)] Vote Vote,
    [property: Id(4)] object? Result = null)
{
    /// <summary>
    /// The installer of the silo the part ran on (<see cref="CommitInstaller.Instance"/>): a
    /// coordinator on the same silo lets the part confirm its installs instead of answering them.
    /// </summary>
    [Id(5)]
    internal Guid Installer { get; init; }

    /// <summary>The body's result as <typeparamref name="T"/>.</summary>
    /// <exception cref="InvalidCastException">The body returned something else, or nothing.</exception>
    public T ResultAs<T>() => Result is T result
        ? result
        : throw new InvalidCastException($"The part of grain {Grain} returned {(Result is null ? "nothing" : $"a {Result.GetType().Name}")}, not a {typeof(T).Name}.");
}
