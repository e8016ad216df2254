namespace Roundabout.Tests.Infrastructure;

/// <summary>Unique grain keys, so tests sharing a cluster never meet.</summary>
public static class Keys
{
    public static string New(string prefix) => $"{prefix}-{Guid.NewGuid():N}";
}
