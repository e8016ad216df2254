using Roundabout.Transactions;

namespace Roundabout.Tests.Consistency;

/// <summary>
/// The shape of a <see cref="RandomWorkload"/> run. Few keys and many workers make conflicts likely.
/// <see cref="OneRoundFraction"/> of the writing transactions run as one-round transactions.
/// </summary>
public sealed record WorkloadOptions(
    int Seed,
    IsolationLevel Isolation,
    int Keys = 6,
    int Workers = 12,
    int Transactions = 500,
    double ReadOnlyFraction = 0.2,
    int MaxReads = 3,
    int MaxWrites = 2,
    double OneRoundFraction = 0.3);
