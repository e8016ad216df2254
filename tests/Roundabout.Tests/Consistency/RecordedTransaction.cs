namespace Roundabout.Tests.Consistency;

/// <summary>
/// A finished transaction as the client saw it. <see cref="StartedAt"/> and
/// <see cref="FinishedAt"/> come from one logical clock: a transaction whose
/// <see cref="FinishedAt"/> is below another's <see cref="StartedAt"/> finished before the other began.
/// </summary>
public sealed record RecordedTransaction(
    int Id,
    bool ReadOnly,
    TransactionOutcome Outcome,
    long StartedAt,
    long FinishedAt,
    IReadOnlyList<RecordedOperation> Operations)
{
    public IEnumerable<RecordedOperation> Writes => Operations.Where(o => o.Kind == OperationKind.Write);

    public override string ToString() =>
        $"T{Id}[{Outcome}{(ReadOnly ? ", read-only" : "")}, {StartedAt}..{FinishedAt}: {string.Join(' ', Operations)}]";
}
