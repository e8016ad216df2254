using System.Diagnostics;

namespace Roundabout.Tests.Infrastructure;

/// <summary>
/// A tmpfs of a few KiB, for writes that really run out of space: the kernel's ENOSPC, as .NET
/// reports it, which no fake file system shows. A child process mounts it in a mount namespace of
/// its own (<c>unshare --user --map-root-user --mount</c>, so no privilege is needed) and keeps it
/// while it lives; this process reaches it through the child's <c>/proc/PID/root</c>.
/// </summary>
internal sealed class SmallTmpfs : IDisposable
{
    private readonly Process _holder;
    private readonly string _mountPoint;

    private SmallTmpfs(Process holder, string mountPoint)
    {
        _holder = holder;
        _mountPoint = mountPoint;
    }

    /// <summary>The mounted file system, as this process sees it.</summary>
    public string Path => $"/proc/{_holder.Id}/root{_mountPoint}";

    public static SmallTmpfs Mount(int sizeKiB)
    {
        var mountPoint = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "roundabout-tmpfs-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(mountPoint);
        var start = new ProcessStartInfo("unshare")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };

        // The holder lives until its standard input closes: when this process disposes of it, or dies.
        foreach (var argument in new[] { "--user", "--map-root-user", "--mount", "sh", "-c", $"mount -t tmpfs -o size={sizeKiB}k tmpfs \"$0\" && echo mounted && exec cat >/dev/null", mountPoint })
        {
            start.ArgumentList.Add(argument);
        }

        Process holder;
        try
        {
            holder = Process.Start(start) ?? throw new InvalidOperationException("Could not start unshare.");
        }
        catch (System.ComponentModel.Win32Exception exception)
        {
            Directory.Delete(mountPoint);
            throw new InvalidOperationException($"Could not run unshare to mount a {sizeKiB} KiB tmpfs (these tests need Linux, util-linux and user namespaces): {exception.Message}", exception);
        }

        var ready = holder.StandardOutput.ReadLineAsync();
        if (!ready.Wait(TimeSpan.FromSeconds(30)) || ready.Result != "mounted")
        {
            var error = holder.HasExited ? holder.StandardError.ReadToEnd() : "no answer in 30 s";
            Stop(holder);
            Directory.Delete(mountPoint);
            throw new InvalidOperationException($"Could not mount a {sizeKiB} KiB tmpfs in a namespace of its own (unshare from util-linux, and user namespaces, are needed): {error}");
        }

        return new SmallTmpfs(holder, mountPoint);
    }

    public void Dispose()
    {
        // The mount goes with the last process of its namespace.
        Stop(_holder);
        Directory.Delete(_mountPoint);
    }

    private static void Stop(Process holder)
    {
        if (!holder.HasExited)
        {
            holder.Kill();
        }

        holder.WaitForExit();
        holder.Dispose();
    }
}
