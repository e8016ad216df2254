namespace Roundabout.State;

/// <summary>
/// How a stopping activation's record carries the older versions that snapshots may still read
/// (<see cref="DurableSlot{T}.History"/>): as many of them as fit in <see cref="MaxRecordBytes"/>.
/// </summary>
internal static class StoredHistory
{
    /// <summary>
    /// The most bytes a record written with its history takes, well under what the stores accept
    /// (the embedded log takes 4 MiB by default): a hot record read by many long snapshots keeps
    /// many versions, and a record too large for its store would lose all of them.
    /// </summary>
    public const int MaxRecordBytes = 1024 * 1024;

    /// <summary>
    /// Serializes <paramref name="slot"/> with as much of <paramref name="history"/> (oldest first)
    /// as fits in <paramref name="maxBytes"/>, dropping the oldest versions first: a snapshot that
    /// needed one of those finds it too old, never another value. With no history, or when the
    /// record alone is larger, the record is written without.
    /// </summary>
    /// <param name="attach">Sets the slot's history (null for none).</param>
    public static byte[] Serialize<TSlot, T>(
        TSlot slot,
        CommittedVersion<T>[] history,
        Action<TSlot, CommittedVersion<T>[]?> attach,
        Func<TSlot, byte[]> serialize,
        int maxBytes = MaxRecordBytes)
    {
        while (true)
        {
            attach(slot, history.Length > 0 ? history : null);
            var bytes = serialize(slot);
            if (bytes.Length <= maxBytes || history.Length == 0)
            {
                return bytes;
            }

            history = history[((history.Length + 1) / 2)..];
        }
    }
}
