using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Roundabout.Silo.Hosting;

namespace Roundabout.Tests.Clustering;

/// <summary>
/// The settings the silo host and `roundabout silo` share: contradictions are refused with a message
/// naming them, before anything starts; consistent ones configure what they say.
/// </summary>
public sealed class SiloClusterSettingsTests
{
    [Theory]
    [InlineData("PrimarySiloPort is for localhost clustering", SiloClustering.Postgres, 11111, null, "Host=db")]
    [InlineData("AdvertisedAddress is for PostgreSQL clustering", SiloClustering.Localhost, null, "10.0.0.1", null)]
    [InlineData("PostgreSQL clustering needs the database's connection string", SiloClustering.Postgres, null, null, null)]
    [InlineData("Clustering 7 is not one of Localhost, Postgres", (SiloClustering)7, null, null, null)]
    [InlineData("AdvertisedAddress 0.0.0.0 is not an address others can reach this silo at", SiloClustering.Postgres, null, "0.0.0.0", "Host=db")]
    [InlineData("ListenAddress is for PostgreSQL clustering", SiloClustering.Localhost, null, null, null, "127.0.0.1")]
    [InlineData("ListenAddress my-host is not an IP address", SiloClustering.Postgres, null, null, "Host=db", "my-host")]
    [InlineData("ListenAddress 203.0.113.7 is not an address of this host (it has ", SiloClustering.Postgres, null, null, "Host=db", "203.0.113.7")]
    [InlineData("ListenAddress fe80::1%1 is a link-local address", SiloClustering.Postgres, null, null, "Host=db", "fe80::1%1")]
    [InlineData("ListenAddress 127.0.0.1 is a loopback address and AdvertisedAddress 10.1.2.3 is not", SiloClustering.Postgres, null, "10.1.2.3", "Host=db", "127.0.0.1")]
    [InlineData("ListenAddress ::1 is an IPv6 address and AdvertisedAddress 127.0.0.1 an IPv4 one", SiloClustering.Postgres, null, "127.0.0.1", "Host=db", "::1")]
    [InlineData("AdvertisedAddress 'no-such-host.invalid' is neither an IP address nor a host name that resolves to an IPv4 address.", SiloClustering.Postgres, null, "no-such-host.invalid", "Host=db")]
    [InlineData("AdvertisedAddress 10.1 is a shortened IPv4 address, which would be read as 10.0.0.1; write all four parts.", SiloClustering.Postgres, null, "10.1", "Host=db")]
    [InlineData("ListenAddress 1 is a shortened IPv4 address, which would be read as 0.0.0.1; write all four parts.", SiloClustering.Postgres, null, null, "Host=db", "1")]
    public void Contradictions_AreRefusedByName(string expected, SiloClustering clustering, int? primary, string? advertised, string? connectionString, string? listen = null)
    {
        var settings = new SiloClusterSettings { Clustering = clustering, PrimarySiloPort = primary, AdvertisedAddress = advertised, ListenAddress = listen };
        var exception = Assert.Throws<ArgumentException>(() => Configure(settings, connectionString));
        Assert.StartsWith(expected, exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ListenAddress_ALoopbackAddressBesides127001_IsTakenWhereTheHostCanListenOnIt()
    {
        if (!OperatingSystem.IsLinux())
        {
            return; // only Linux gives a host every address in 127.0.0.0/8
        }

        Assert.Null(SiloClusterSettingsExtensions.ListenAddressProblem("127.0.0.2"));
        Assert.Null(SiloClusterSettingsExtensions.AdvertisedAddressProblem("127.0.0.2"));
    }

    [Theory]
    [InlineData("SiloPort and GatewayPort must be two different ports (both are 30000).", 30000, 30000)]
    [InlineData("GatewayPort must be a port from 1 to 65535 (got 0).", 11111, 0)]
    public void Ports_AreChecked(string expected, int siloPort, int gatewayPort)
    {
        var exception = Assert.Throws<ArgumentException>(() => Configure(new SiloClusterSettings { SiloPort = siloPort, GatewayPort = gatewayPort }, null));
        Assert.StartsWith(expected, exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PostgresClustering_ListensEverywhere_AdvertisesTheGivenAddress_AndNamesTheCluster()
    {
        var services = Configure(new SiloClusterSettings
        {
            Clustering = SiloClustering.Postgres,
            AdvertisedAddress = "10.1.2.3",
            SiloPort = 12000,
            GatewayPort = 32000,
            ClusterId = "c1",
            ServiceId = "s1",
        }, "Host=db;Database=roundabout");

        var endpoints = services.GetRequiredService<IOptions<EndpointOptions>>().Value;
        Assert.Equal("10.1.2.3", endpoints.AdvertisedIPAddress.ToString());
        Assert.Equal(new System.Net.IPEndPoint(System.Net.IPAddress.Any, 12000), endpoints.SiloListeningEndpoint);
        Assert.Equal(new System.Net.IPEndPoint(System.Net.IPAddress.Any, 32000), endpoints.GatewayListeningEndpoint);
        var cluster = services.GetRequiredService<IOptions<ClusterOptions>>().Value;
        Assert.Equal(("c1", "s1"), (cluster.ClusterId, cluster.ServiceId));
        Assert.Contains(services.GetServices<IMembershipTable>(), table => table.GetType().Name == "AdoNetClusteringTable");
    }

    [Fact]
    public void ListenAddress_IsWhereBothPortsListen_AndWhereTheSiloIsReached()
    {
        var settings = new SiloClusterSettings { Clustering = SiloClustering.Postgres, ListenAddress = "127.0.0.1", SiloPort = 12001, GatewayPort = 32001 };
        var services = Configure(settings, "Host=db");

        var endpoints = services.GetRequiredService<IOptions<EndpointOptions>>().Value;
        Assert.Equal(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 12001), endpoints.SiloListeningEndpoint);
        Assert.Equal(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 32001), endpoints.GatewayListeningEndpoint);
        Assert.Equal("127.0.0.1", endpoints.AdvertisedIPAddress.ToString());
        Assert.Equal(System.Net.IPAddress.Loopback, settings.ListenAddress(postgresConnectionString: "Host=db"));
    }

    /// <summary>Behind NAT: the silo listens on one of its own addresses and is reached at another.</summary>
    [Fact]
    public void ListenAddress_WithAnotherAdvertisedAddress_ListensOnOneAndIsReachedAtTheOther()
    {
        var own = System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces()
            .SelectMany(network => network.GetIPProperties().UnicastAddresses)
            .Select(unicast => unicast.Address)
            .First(address => address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && !System.Net.IPAddress.IsLoopback(address));
        var services = Configure(new SiloClusterSettings { Clustering = SiloClustering.Postgres, ListenAddress = own.ToString(), AdvertisedAddress = "10.1.2.3", SiloPort = 12002, GatewayPort = 32002 }, "Host=db");

        var endpoints = services.GetRequiredService<IOptions<EndpointOptions>>().Value;
        Assert.Equal(new System.Net.IPEndPoint(own, 12002), endpoints.SiloListeningEndpoint);
        Assert.Equal(new System.Net.IPEndPoint(own, 32002), endpoints.GatewayListeningEndpoint);
        Assert.Equal("10.1.2.3", endpoints.AdvertisedIPAddress.ToString());
    }

    /// <summary>Orleans takes one of a name's IPv4 addresses without saying which: a name with several is refused.</summary>
    [Theory]
    [InlineData(true, "10.0.0.1", "10.0.0.2")]
    [InlineData(false, "10.0.0.1", "10.0.0.1")]
    [InlineData(false, "10.0.0.1", "fe80::1")]
    [InlineData(false, "10.0.0.1")]
    public void AdvertisedHostName_WithSeveralIPv4Addresses_IsRefusedNamingThem(bool refused, params string[] resolved)
    {
        var problem = SiloClusterSettingsExtensions.SeveralAddressesProblem(resolved.Select(System.Net.IPAddress.Parse));

        Assert.Equal(refused, problem is not null);
        if (refused)
        {
            Assert.Contains("several IPv4 addresses (10.0.0.1, 10.0.0.2)", problem, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void AdvertisedHostName_WithOneIPv4Address_IsTaken()
    {
        var services = Configure(new SiloClusterSettings { Clustering = SiloClustering.Postgres, AdvertisedAddress = "localhost" }, "Host=db");

        Assert.Equal(System.Net.IPAddress.Loopback, services.GetRequiredService<IOptions<EndpointOptions>>().Value.AdvertisedIPAddress);
    }

    [Theory]
    [InlineData(null, "Host=db", true)]
    [InlineData(null, null, false)]
    [InlineData(SiloClustering.Localhost, "Host=db", false)]
    public void Clustering_DefaultsToPostgresWhenTheRecordsAreThere(SiloClustering? clustering, string? connectionString, bool inPostgres)
    {
        // Silos that share their records must share their membership: separate localhost clusters
        // over one records table would each activate the same grains.
        var services = Configure(new SiloClusterSettings { Clustering = clustering }, connectionString);
        Assert.Equal(inPostgres, services.GetServices<IMembershipTable>().Any(table => table.GetType().Name == "AdoNetClusteringTable"));
    }

    private static IServiceProvider Configure(SiloClusterSettings settings, string? connectionString)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.UseOrleans(silo => silo.UseClusterSettings(settings, connectionString));
        return builder.Build().Services;
    }
}
