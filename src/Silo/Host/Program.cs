using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using Roundabout.Silo.Hosting;
using Roundabout.Silo.Persistence.FileLog;
using Roundabout.Silo.Persistence.GroupCommit;
using Roundabout.Silo.Persistence.Postgres;

// A Roundabout silo. Settings come from the usual .NET configuration sources (command line,
// environment variables such as Roundabout__Postgres__ConnectionString, appsettings.json), all
// under "Roundabout":
//   SiloPort, GatewayPort, ClusterId, ServiceId       where it listens, which cluster it joins
//   Clustering = Localhost | Postgres                 how silos find each other (default: Postgres when the
//                                                     records are in PostgreSQL, else Localhost)
//   PrimarySiloPort                                   Localhost: the silo to join (none for the first)
//   AdvertisedAddress, CreateMembershipSchema         Postgres: the IP others reach it at; create the tables
//   ListenAddress                                     Postgres: the one address of this host its ports listen on
//   ReadyFile                                         a file that exists while the silo is in the cluster
//   Postgres:ConnectionString (Table, MaxConnections) keep the records (and the membership) in PostgreSQL
//   Storage:DataDirectory (Durability, ...)           otherwise: the embedded log's settings
//   Membership:ProbeTimeout, ...                      Orleans' ClusterMembershipOptions (failure detection)
// For example: --Roundabout:Clustering Postgres --Roundabout:Postgres:ConnectionString "Host=db;Username=...;Database=roundabout".
try
{
    var builder = Host.CreateApplicationBuilder(args);
    var settings = builder.Configuration.GetSection("Roundabout");
    var cluster = settings.Get<SiloClusterSettings>() ?? new SiloClusterSettings();
    var postgres = settings.GetSection("Postgres");

    // Bound once here, so that a value that does not convert stops the host before it starts
    // (one line, below), not half-way through the start with the host's own log of the failure.
    var storage = settings.GetSection("Storage").Get<GroupCommitOptions>() ?? new GroupCommitOptions();
    _ = settings.GetSection("Postgres").Get<PostgresStoreOptions>();
    _ = settings.GetSection("Membership").Get<ClusterMembershipOptions>();
    builder.UseOrleans(silo =>
    {
        silo.UseClusterSettings(cluster, postgres["ConnectionString"]);
        silo.Configure<ClusterMembershipOptions>(settings.GetSection("Membership"));
        if (settings[ReadinessFileExtensions.SettingName] is { Length: > 0 } readyFile)
        {
            silo.UseReadinessFile(readyFile);
        }

        if (postgres.Exists())
        {
            silo.UsePostgres(options => postgres.Bind(options));
        }
        else
        {
            silo.UseFileLog(options => settings.GetSection("Storage").Bind(options));
        }

        silo.AddRoundabout();
        silo.AddRoundaboutGrainStorage();
    });

    // Orleans would share a port that another silo listens on (see ListeningPorts). After the
    // settings' own checks above, so that a port out of range is reported as such.
    ListeningPorts.EnsureFree(
        cluster.ListenAddress(postgres["ConnectionString"]),
        (cluster.SiloPort, "Roundabout:SiloPort"),
        (cluster.GatewayPort, "Roundabout:GatewayPort"));
    if (!postgres.Exists() && !string.IsNullOrWhiteSpace(storage.DataDirectory))
    {
        // Before the host starts: Orleans logs "Started silo" when it builds the silo, well before
        // the silo opens its log and finds the directory held. (A blank one is the options' to report.)
        DataDirectoryPath.ThrowIfBlocked(storage.DataDirectory);
        DataDirectoryPath.ThrowIfInUse(storage.DataDirectory);
    }

    await builder.Build().RunAsync();
    return 0;
}
catch (Exception exception) when (HostErrors.SettingsProblem(exception) is { } problem)
{
    // A supervisor (Kubernetes, compose) shows the last lines: one that says what to fix, not an abort's stack.
    Console.Error.WriteLine($"error: {problem}");
    return 2;
}
catch (Exception exception)
{
    Console.Error.WriteLine($"error: the silo stopped: {exception.GetType().Name}: {exception.Message}");
    return 1;
}
