using Roundabout.Silo.Clustering;

namespace Roundabout.Silo.Hosting;

/// <summary>How the silos of a cluster find each other.</summary>
public enum SiloClustering
{
    /// <summary>
    /// Orleans' development clustering on one machine: the first silo keeps the membership, the
    /// others name its port (<see cref="SiloClusterSettings.PrimarySiloPort"/>). Loopback only.
    /// </summary>
    Localhost,

    /// <summary>
    /// The membership in PostgreSQL (<see cref="PostgresClusteringExtensions.UsePostgresClustering"/>):
    /// silos on any hosts, any of them may stop, and clients read the gateways from the database.
    /// </summary>
    Postgres,
}
