namespace Roundabout.Tests.Consistency;

/// <summary>The recorded history of a run and how its transactions ended.</summary>
public sealed record WorkloadResult(
    IReadOnlyList<RecordedTransaction> History,
    IReadOnlyList<string> Keys,
    IReadOnlyList<Exception> UnexpectedErrors)
{
    public int Count(TransactionOutcome outcome) => History.Count(t => t.Outcome == outcome);

    public int CommittedWriters => History.Count(t => t.Outcome == TransactionOutcome.Committed && t.Writes.Any());

    public override string ToString() =>
        $"{History.Count} transactions: {Count(TransactionOutcome.Committed)} committed ({CommittedWriters} with writes), " +
        $"{Count(TransactionOutcome.Aborted)} aborted, {Count(TransactionOutcome.Unknown)} in doubt, {UnexpectedErrors.Count} unexpected errors";
}
