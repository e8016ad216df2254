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
            throw new ArgumentException("An account id or record key must not be null, empty or blank.", parameterName);
        }

        if (key.Length > MaxLength)
        {
            throw new ArgumentException($"An account id or record key is at most {MaxLength} characters long; this one has {key.Length}.", parameterName);
        }
    }
}
