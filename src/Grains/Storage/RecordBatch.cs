namespace Roundabout.Storage;

/// <summary>The rules every <see cref="IRecordStore"/> applies to a write batch before it looks at any record.</summary>
public static class RecordBatch
{
    /// <summary>
    /// Throws <see cref="ArgumentException"/> for a batch no store can write: none at all, an empty
    /// one, a write with no key, or a key named twice. Two writes of one key would each be checked
    /// against the record as it was before the batch, so which one "wins" would be the store's
    /// accident (the log kept the last, PostgreSQL refused the second): merge them into one write.
    /// </summary>
    public static void ThrowIfInvalid(IReadOnlyList<RecordWrite> writes)
    {
        ArgumentNullException.ThrowIfNull(writes);
        if (writes.Count == 0)
        {
            throw new ArgumentException("A write batch needs at least one write.", nameof(writes));
        }

        // Batches are small (one to a few writes): a pairwise look costs less than a set.
        for (var i = 0; i < writes.Count; i++)
        {
            var key = writes[i]?.Key;
            if (string.IsNullOrEmpty(key))
            {
                throw new ArgumentException($"Write {i} of the batch has no key; every write needs one.", nameof(writes));
            }

            for (var j = 0; j < i; j++)
            {
                if (string.Equals(writes[j].Key, key, StringComparison.Ordinal))
                {
                    throw new ArgumentException($"The batch writes '{key}' twice (writes {j} and {i}); a batch may name each key once, so merge them into one write.", nameof(writes));
                }
            }
        }
    }
}
