using System.Diagnostics;

namespace Roundabout.Tests.Infrastructure;

/// <summary>
/// A test that needs <see cref="SmallTmpfs"/>: skipped, with the reason, on a machine that cannot
/// mount one (no <c>unshare</c>, or user or mount namespaces blocked, as in some containers),
/// instead of failing there. Where the mount works, the test runs and any failure is its own.
/// </summary>
public sealed class SmallTmpfsFactAttribute : FactAttribute
{
    private static readonly Lazy<string?> WhyNot = new(ProbeMount);

    public SmallTmpfsFactAttribute()
    {
        if (WhyNot.Value is { } reason)
        {
            Skip = $"This machine cannot mount a tmpfs in a namespace of its own: {reason}";
        }
    }

    /// <summary>Mounts and drops a tiny tmpfs once; null if that worked, otherwise why not.</summary>
    private static string? ProbeMount()
    {
        var mountPoint = Path.Combine(Path.GetTempPath(), "roundabout-tmpfs-probe-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(mountPoint);
        try
        {
            var start = new ProcessStartInfo("unshare") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
            foreach (var argument in new[] { "--user", "--map-root-user", "--mount", "sh", "-c", "mount -t tmpfs -o size=16k tmpfs \"$0\"", mountPoint })
            {
                start.ArgumentList.Add(argument);
            }

            using var probe = Process.Start(start)!;
            var error = probe.StandardError.ReadToEndAsync();
            if (!probe.WaitForExit(TimeSpan.FromSeconds(30)))
            {
                probe.Kill();
                return "unshare did not finish in 30 s";
            }

            return probe.ExitCode == 0 ? null : $"unshare exited with {probe.ExitCode}: {error.Result.Trim()}";
        }
        catch (System.ComponentModel.Win32Exception exception)
        {
            return $"unshare (util-linux) could not run: {exception.Message}";
        }
        finally
        {
            Directory.Delete(mountPoint);
        }
    }
}
