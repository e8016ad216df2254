namespace Roundabout.Client.Benchmarks;

/// <summary>
/// The grain types of the `roundabout bench` command's own grains, loaded only by the command,
/// named in the same "roundabout." space as the library's (<c>RoundaboutGrainTypes</c>).
/// </summary>
internal static class BenchmarkGrainTypes
{
    public const string Ping = "roundabout.bench-ping";

    /// <summary>The account the side-by-side benchmark runs on both transaction systems.</summary>
    public const string Account = "roundabout.bench-account";
}
