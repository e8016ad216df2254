using Microsoft.Extensions.Hosting;

namespace Roundabout.Client.Embedded;

/// <summary>How the command's processes build their hosts (an embedded silo, a silo, a client).</summary>
internal static class CommandHost
{
    /// <summary>
    /// <see cref="Host.CreateApplicationBuilder()"/> without watching the working directory for
    /// configuration changes: an embedded silo writes its log below that directory (./data), and
    /// the watcher woke up for every write (about 2% of a benchmark's CPU). The command reads no
    /// configuration files, so there is nothing to reload.
    /// </summary>
    public static HostApplicationBuilder CreateBuilder() =>
        Host.CreateApplicationBuilder(["--hostBuilder:reloadConfigOnChange=false"]);
}
