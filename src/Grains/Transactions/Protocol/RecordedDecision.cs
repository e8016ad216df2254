namespace Roundabout.Transactions.Protocol;

/// <summary>
/// A decision as it stands in storage: the outcome, the ETag that replacing or removing it must
/// name, and for <see cref="Decision.Committing"/> when participants may presume the coordinator gone.
/// </summary>
internal readonly record struct RecordedDecision(Decision Decision, string ETag, DateTime? AbandonedAfterUtc = null);
