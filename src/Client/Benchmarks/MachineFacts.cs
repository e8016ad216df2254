using System.Runtime.InteropServices;

namespace Roundabout.Client.Benchmarks;

/// <summary>What the numbers depend on besides the code: the machine and how busy it was.</summary>
/// <param name="LoadAverage">The first three fields of /proc/loadavg (1, 5 and 15 minutes), or "" where there is none.</param>
public sealed record MachineFacts(int ProcessorCount, string Os, string Runtime, string LoadAverage, DateTimeOffset Timestamp)
{
    public static MachineFacts Now() => new(
        Environment.ProcessorCount,
        RuntimeInformation.OSDescription,
        RuntimeInformation.FrameworkDescription,
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "",
        DateTimeOffset.Now);
}
