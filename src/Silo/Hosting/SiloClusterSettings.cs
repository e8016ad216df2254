using Orleans.Configuration;
using Roundabout.Silo.Clustering;

namespace Roundabout.Silo.Hosting;

/// <summary>
/// A silo process's place in its cluster: ports, identity, membership. The silo host (src/Silo/Host)
/// binds it from configuration (the "Roundabout" section) and <c>roundabout silo</c> fills it from
/// its options, so both start silos the same way.
/// </summary>
public sealed class SiloClusterSettings
{
    /// <summary>Silo-to-silo port. Default: 11111.</summary>
    public int SiloPort { get; set; } = 11111;

    /// <summary>Client gateway port. Default: 30000.</summary>
    public int GatewayPort { get; set; } = 30000;

    /// <summary>
    /// How silos find each other. Default: <see cref="SiloClustering.Postgres"/> when the silo keeps
    /// its records in PostgreSQL (silos that share records must share a membership too, or each
    /// would activate the same grains), else <see cref="SiloClustering.Localhost"/>.
    /// </summary>
    public SiloClustering? Clustering { get; set; }

    /// <summary>With <see cref="SiloClustering.Localhost"/>: the silo port of the silo this one joins; none for the first.</summary>
    public int? PrimarySiloPort { get; set; }

    /// <summary>
    /// With <see cref="SiloClustering.Postgres"/>: the IP address (or a host name that resolves to it)
    /// other silos and clients reach this silo at, such as a pod's IP. Default: an IPv4 address of
    /// this host that Orleans picks (not a loopback one); name it on hosts with several. The silo
    /// listens on every address unless <see cref="ListenAddress"/> names one.
    /// </summary>
    public string? AdvertisedAddress { get; set; }

    /// <summary>
    /// With <see cref="SiloClustering.Postgres"/>: the one address of this host (an IP address) that
    /// the silo and gateway ports listen on, to keep them off other networks. Default: every
    /// address, since in a container the advertised address may be the service's rather than one of
    /// the host's own.
    /// </summary>
    public string? ListenAddress { get; set; }

    /// <summary>The cluster's id: silos and clients of one cluster share it. Default: "default".</summary>
    public string ClusterId { get; set; } = ClusterOptions.DefaultClusterId;

    /// <summary>The service's id, which outlives clusters (deployments) of it. Default: "default".</summary>
    public string ServiceId { get; set; } = ClusterOptions.DefaultServiceId;

    /// <summary>
    /// With <see cref="SiloClustering.Postgres"/>: whether the silo creates the membership tables when
    /// they are missing (<see cref="PostgresClusteringOptions.CreateSchema"/>). Default: true.
    /// </summary>
    public bool CreateMembershipSchema { get; set; } = true;
}
