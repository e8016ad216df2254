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

    /// <summary>
    /// The largest read timestamp a stamp carries: the ticks of 1900-01-01. The oracle counts
    /// from 1 and would take millennia at a million timestamps a second to get there, while
    /// Orleans' own transaction agent puts the present time into the priority: a stamp at or above
    /// this is a transaction Roundabout's agent did not start (a client still on <c>UseTransactions()</c>).
    /// Read as a snapshot, such a time would set a state's highest read far beyond every timestamp
    /// the oracle hands out, and every later write there would conflict.
    /// </summary>
    public static long MaxReadTimestamp { get; } = (new DateTime(1900, 1, 1, 0, 0, 0, DateTimeKind.Utc).Ticks >> LevelBits) - 1;

    public DateTime ToPriority()
    {
        if (ReadTimestamp <= 0 || ReadTimestamp > MaxReadTimestamp)
        {
            throw new ArgumentOutOfRangeException(nameof(ReadTimestamp), ReadTimestamp, $"A read timestamp must be positive and at most {MaxReadTimestamp}.");
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
        if (readTimestamp <= 0 || readTimestamp > MaxReadTimestamp)
        {
            throw new InvalidOperationException(
                "This transaction was not started by Roundabout's agent. Call UseRoundaboutTransactions() on every silo and client instead of UseTransactions().");
        }

        return new TransactionStamp(readTimestamp, (IsolationLevel)(ticks & ((1 << LevelBits) - 1)));
    }

    public static TransactionStamp Of(TransactionInfo info) => FromPriority(info.Priority);
}
