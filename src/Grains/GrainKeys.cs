namespace Roundabout;

/// <summary>
/// The keys of Roundabout's grains that a person chooses: account ids, record keys and
/// idempotency keys. The grains, the client helpers and the command all check them here.
/// </summary>
public static class GrainKeys
{
    /// <summary>The longest key.</summary>
    public const int MaxLength = 256;

    public static void Validate(string? key, string parameterName)
    {
        if (string.IsNullOrWhiteSpace(key))
        {
            throw new ArgumentException("An account id, record key or idempotency key must not be null, empty or blank.", parameterName);
        }

        if (key.Length > MaxLength)
        {
            throw new ArgumentException($"An account id, record key or idempotency key is at most {MaxLength} UTF-16 characters long (most emoji count as two or more); this one has {key.Length}.", parameterName);
        }

        if (key.IndexOf('\0', StringComparison.Ordinal) is var nul and >= 0)
        {
            throw new ArgumentException($"An account id, record key or idempotency key cannot contain the NUL character (found at position {nul}): the PostgreSQL store cannot hold it.", parameterName);
        }

        if (UnpairedSurrogateAt(key) is { } position)
        {
            // Orleans sends keys as UTF-8, where every unpaired surrogate becomes U+FFFD: two keys
            // that differ only there would name the same grain.
            throw new ArgumentException(
                $"An account id, record key or idempotency key must be valid Unicode, but this one has half of a character (an unpaired surrogate) at position {position}, often left by cutting a string in the middle of an emoji.",
                parameterName);
        }
    }

    private static int? UnpairedSurrogateAt(string key)
    {
        for (var i = 0; i < key.Length; i++)
        {
            if (char.IsHighSurrogate(key[i]) && i + 1 < key.Length && char.IsLowSurrogate(key[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(key[i]))
            {
                return i;
            }
        }

        return null;
    }
}
