using Orleans.Transactions;

namespace Roundabout.Transactions;

/// <summary>
/// What a transaction carries to every participant inside Orleans' fixed
/// <see cref="TransactionInfo"/>: its read timestamp and isolation level, packed into
/// <see cref="TransactionInfo.Priority"/>, which Orleans copies unchanged on every fork.
/// </summary>
/// <remarks>Ticks = readTimestamp * 4 + isolation level. Two bits are kept for the level.</remarks>
internal readonly record struct TransactionStamp(long ReadTimestamp, IsolationLevel Isolation)
{
    private const int LevelBits = 2;

    /// <summary>The largest read timestamp that fits into a <see cref="DateTime"/>'s ticks.</summary>
    public static long MaxReadTimestamp { get; } = DateTime.MaxValue.Ticks >> LevelBits;

    public DateTime ToPriority()
    {
        if (ReadTimestamp <= 0 || ReadTimestamp > MaxReadTimestamp)
        {
            throw new ArgumentOutOfRangeException(nameof(ReadTimestamp), ReadTimestamp, "A read timestamp must be positive and fit into DateTime ticks.");
        }

        if (!Enum.IsDefined(Isolation))
        {
            throw new ArgumentOutOfRangeException(nameof(Isolation), Isolation, "Unknown isolation level.");
        }

        return new DateTime((ReadTimestamp << LevelBits) | (long)Isolation, DateTimeKind.Utc);
    }

    public static TransactionStamp FromPriority(DateTime priority)
    {
        var ticks = priority.Ticks;
        var readTimestamp = ticks >> LevelBits;
        if (readTimestamp <= 0)
        {
            throw new InvalidOperationException(
                "This transaction was not started by Roundabout's agent. Call UseRoundaboutTransactions() on every silo and client instead of UseTransactions().");
        }

        return new TransactionStamp(readTimestamp, (IsolationLevel)(ticks & ((1 << LevelBits) - 1)));
    }

    public static TransactionStamp Of(TransactionInfo info) => FromPriority(info.Priority);
}
