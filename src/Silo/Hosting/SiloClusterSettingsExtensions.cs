using Orleans.Configuration;
using Roundabout.Silo.Clustering;

namespace Roundabout.Silo.Hosting;

public static class SiloClusterSettingsExtensions
{
    /// <summary>What is wrong with <paramref name="advertised"/> as the address others reach a silo at (the text after it), or <c>null</c>.</summary>
    public static string? AdvertisedAddressProblem(string advertised)
    {
        if (ShortenedIPv4Problem(advertised) is { } shortened)
        {
            return shortened;
        }

        return System.Net.IPAddress.TryParse(advertised, out var address) && (address.Equals(System.Net.IPAddress.Any) || address.Equals(System.Net.IPAddress.IPv6Any))
            ? "is not an address others can reach this silo at; name one of this host's addresses."
            : null;
    }

    /// <summary>
    /// A shortened IPv4 address, such as "10.1" or "1", which .NET reads as 10.0.0.1 and 0.0.0.1: far
    /// more often a typing slip than meant, and a silo advertised or listening at 0.0.0.1 is lost.
    /// Returns what is wrong (the text after it), or <c>null</c> for anything else.
    /// </summary>
    private static string? ShortenedIPv4Problem(string text)
    {
        var digitsAndDots = text.Length > 0 && text.All(c => char.IsAsciiDigit(c) || c == '.');
        return digitsAndDots && text.Count(c => c == '.') < 3 && System.Net.IPAddress.TryParse(text, out var read)
            ? $"is a shortened IPv4 address, which would be read as {read}; write all four parts."
            : null;
    }

    /// <summary>
    /// What is wrong with <paramref name="listen"/> as the address a silo's ports listen on (the
    /// text after it), or <c>null</c>: it must be an IP address that this host has (or the address
    /// for every one, 0.0.0.0 or ::), since a socket cannot listen on another host's.
    /// </summary>
    public static string? ListenAddressProblem(string listen)
    {
        if (ShortenedIPv4Problem(listen) is { } shortened)
        {
            return shortened;
        }

        if (!System.Net.IPAddress.TryParse(listen, out var address))
        {
            return "is not an IP address; name one of this host's addresses (a host name is not taken here).";
        }

        if (address.IsIPv6LinkLocal)
        {
            return "is a link-local address, which other hosts cannot be told how to reach; name a routable one.";
        }

        if (address.Equals(System.Net.IPAddress.Any) || address.Equals(System.Net.IPAddress.IPv6Any))
        {
            return null;
        }

        var own = HostAddresses();
        return own.Contains(address) || CanListenOn(address) ? null : $"is not an address of this host (it has {string.Join(", ", own)}).";
    }

    /// <summary>
    /// Whether a socket can be bound to <paramref name="address"/> here although no network interface
    /// lists it: on Linux every address in 127.0.0.0/8 is this host's loopback, not only 127.0.0.1.
    /// </summary>
    private static bool CanListenOn(System.Net.IPAddress address)
    {
        try
        {
            using var socket = new System.Net.Sockets.Socket(address.AddressFamily, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
            socket.Bind(new System.Net.IPEndPoint(address, 0));
            return true;
        }
        catch (System.Net.Sockets.SocketException)
        {
            return false;
        }
    }

    /// <summary>The unicast addresses of this host's network interfaces.</summary>
    private static List<System.Net.IPAddress> HostAddresses() =>
        [.. System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces()
            .SelectMany(network => network.GetIPProperties().UnicastAddresses)
            .Select(unicast => unicast.Address)
            .Distinct()];

    /// <summary>
    /// What is wrong with a host name given as the advertised address that resolved to
    /// <paramref name="resolved"/> (the text after the name), or <c>null</c>. Orleans takes one of
    /// its IPv4 addresses without saying which, so a name with several (a Kubernetes service's,
    /// say) could advertise an address that is not this silo's.
    /// </summary>
    internal static string? SeveralAddressesProblem(IEnumerable<System.Net.IPAddress> resolved)
    {
        var ipv4 = resolved.Where(address => address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork).Distinct().ToList();
        return ipv4.Count > 1
            ? $"resolves to several IPv4 addresses ({string.Join(", ", ipv4)}), and other silos would reach this one at only one of them; name this silo's address, or a host name with that one address."
            : null;
    }

    /// <summary>
    /// Configures the silo's endpoints, identity and membership from <paramref name="settings"/>.
    /// <paramref name="postgresConnectionString"/> is the database for <see cref="SiloClustering.Postgres"/>.
    /// Settings that contradict each other are refused with an <see cref="ArgumentException"/> that
    /// names them.
    /// </summary>
    public static ISiloBuilder UseClusterSettings(this ISiloBuilder builder, SiloClusterSettings settings, string? postgresConnectionString)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(settings);
        var clustering = ClusteringOf(settings, postgresConnectionString);
        Validate(settings, clustering, postgresConnectionString);
        builder.Configure<ClusterOptions>(options =>
        {
            options.ClusterId = settings.ClusterId;
            options.ServiceId = settings.ServiceId;
        });
        if (clustering == SiloClustering.Localhost)
        {
            var primary = settings.PrimarySiloPort is { } port ? new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, port) : null;
            builder.UseLocalhostClustering(settings.SiloPort, settings.GatewayPort, primary, settings.ServiceId, settings.ClusterId);
        }
        else
        {
            // Listening on every address unless ListenAddress names one: in a container the
            // advertised address may be the service's, not one of the host's own. A silo that
            // listens on one address is reached there, unless another is advertised.
            var advertisedAddress = AdvertisedIPAddress(settings);
            var oneListen = OneListenAddress(settings);
            if (advertisedAddress is not null && oneListen is not null
                && ListenAndAdvertisedProblem(oneListen, advertisedAddress, nameof(settings.AdvertisedAddress)) is { } mismatch)
            {
                throw new ArgumentException($"{nameof(settings.ListenAddress)} {settings.ListenAddress} {mismatch}", nameof(settings));
            }

            if ((advertisedAddress ?? oneListen) is { } advertised)
            {
                builder.ConfigureEndpoints(advertised, settings.SiloPort, settings.GatewayPort, listenOnAnyHostAddress: true);
            }
            else
            {
                try
                {
                    // No address given: for a null host name Orleans picks one of this host's own.
                    builder.ConfigureEndpoints(hostname: null!, settings.SiloPort, settings.GatewayPort, listenOnAnyHostAddress: true);
                }
                catch (Exception exception) when (exception is ArgumentException or System.Net.Sockets.SocketException)
                {
                    throw new ArgumentException($"This host has no IPv4 address for other silos to reach this one at; set {nameof(settings.AdvertisedAddress)}.", nameof(settings), exception);
                }
            }

            if (settings.ListenAddress is { } listen)
            {
                // After ConfigureEndpoints' own options, so these win.
                var address = System.Net.IPAddress.Parse(listen);
                builder.Configure<EndpointOptions>(options =>
                {
                    options.SiloListeningEndpoint = new System.Net.IPEndPoint(address, settings.SiloPort);
                    options.GatewayListeningEndpoint = new System.Net.IPEndPoint(address, settings.GatewayPort);
                });
            }

            builder.UsePostgresClustering(options =>
            {
                options.ConnectionString = postgresConnectionString!;
                options.CreateSchema = settings.CreateMembershipSchema;
            });
        }

        return builder;
    }

    /// <summary>
    /// The address the silo's ports listen on with these settings: the loopback address for
    /// <see cref="SiloClustering.Localhost"/>; for <see cref="SiloClustering.Postgres"/>,
    /// <see cref="SiloClusterSettings.ListenAddress"/> or else every address (see <see cref="UseClusterSettings"/>). What <see cref="ListeningPorts.EnsureFree"/> checks.
    /// </summary>
    public static System.Net.IPAddress ListenAddress(this SiloClusterSettings settings, string? postgresConnectionString)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return ClusteringOf(settings, postgresConnectionString) == SiloClustering.Localhost ? System.Net.IPAddress.Loopback
            : settings.ListenAddress is { } listen && System.Net.IPAddress.TryParse(listen, out var address) ? address
            : System.Net.IPAddress.Any;
    }

    /// <summary>
    /// The address <see cref="SiloClusterSettings.AdvertisedAddress"/> names, resolved here once
    /// (a host name to its one IPv4 address), or <c>null</c> when none is given.
    /// </summary>
    private static System.Net.IPAddress? AdvertisedIPAddress(SiloClusterSettings settings)
    {
        if (settings.AdvertisedAddress is not { } advertised)
        {
            return null;
        }

        // At start-up, before the silo runs: waiting here blocks nothing else.
        var (address, problem, cause) = ResolveAdvertisedAsync(advertised, CancellationToken.None).GetAwaiter().GetResult();
        return address ?? throw new ArgumentException($"{nameof(settings.AdvertisedAddress)} '{advertised}' {problem}", nameof(settings), cause);
    }

    /// <summary>The address <see cref="SiloClusterSettings.ListenAddress"/> names, unless it is none or every address.</summary>
    private static System.Net.IPAddress? OneListenAddress(SiloClusterSettings settings) =>
        settings.ListenAddress is { } listen && System.Net.IPAddress.TryParse(listen, out var address)
            && !address.Equals(System.Net.IPAddress.Any) && !address.Equals(System.Net.IPAddress.IPv6Any)
            ? address
            : null;

    /// <summary>
    /// <paramref name="advertised"/> looked up, as <see cref="UseClusterSettings"/> will: the address,
    /// or what is wrong with it (the text after it), such as a host name that resolves to no IPv4
    /// address or to several. For a command that checks its option before the silo starts, in the
    /// option's own name; the lookup stops when <paramref name="cancellationToken"/> fires.
    /// </summary>
    public static async Task<(System.Net.IPAddress? Address, string? Problem)> ResolveAdvertisedAddressAsync(string advertised, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(advertised);
        var (address, problem, _) = await ResolveAdvertisedAsync(advertised, cancellationToken);
        return (address, problem);
    }

    /// <summary>An IPv4 address or a host name, resolved: the address, or why there is none (and the lookup's own error, if any).</summary>
    private static async Task<(System.Net.IPAddress? Address, string? Problem, Exception? Cause)> ResolveAdvertisedAsync(string advertised, CancellationToken cancellationToken)
    {
        if (ShortenedIPv4Problem(advertised) is { } shortened)
        {
            return (null, shortened, null);
        }

        if (System.Net.IPAddress.TryParse(advertised, out var literal))
        {
            return (literal, null, null);
        }

        try
        {
            return Classify(await System.Net.Dns.GetHostAddressesAsync(advertised, cancellationToken));
        }
        catch (Exception exception) when (exception is System.Net.Sockets.SocketException or ArgumentException)
        {
            // ArgumentException: a name longer than DNS allows.
            return (null, LookupProblem(exception), exception);
        }
    }

    private const string NotAnAddress = "is neither an IP address nor a host name that resolves to an IPv4 address.";

    /// <summary>What a host name's addresses make of it: its one IPv4 address, or why not.</summary>
    private static (System.Net.IPAddress? Address, string? Problem, Exception? Cause) Classify(System.Net.IPAddress[] resolved)
    {
        if (SeveralAddressesProblem(resolved) is { } several)
        {
            return (null, several, null);
        }

        var ipv4 = Array.Find(resolved, address => address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork);
        return ipv4 is null ? (null, NotAnAddress, null) : (ipv4, null, null);
    }

    /// <summary>A failed lookup: a name that does not exist, or a name server that did not answer this time.</summary>
    private static string LookupProblem(Exception failure) =>
        failure is System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.TryAgain }
            ? $"could not be looked up just now ({failure.Message}); try again, or give an IP address."
            : NotAnAddress;

    /// <summary>
    /// What is wrong with listening on <paramref name="listen"/> while other silos and clients are
    /// told <paramref name="advertised"/> (the text after the listen address), or <c>null</c>.
    /// <paramref name="advertisedName"/> is what the caller calls the advertised address.
    /// </summary>
    public static string? ListenAndAdvertisedProblem(System.Net.IPAddress listen, System.Net.IPAddress advertised, string advertisedName)
    {
        ArgumentNullException.ThrowIfNull(listen);
        ArgumentNullException.ThrowIfNull(advertised);
        if (listen.Equals(System.Net.IPAddress.Any) || listen.Equals(System.Net.IPAddress.IPv6Any) || listen.Equals(advertised))
        {
            return null;
        }

        if (listen.AddressFamily != advertised.AddressFamily)
        {
            return $"is an {Family(listen)} address and {advertisedName} {advertised} an {Family(advertised)} one: the silo would be reached at an address it does not listen on.";
        }

        return System.Net.IPAddress.IsLoopback(listen) && !System.Net.IPAddress.IsLoopback(advertised)
            ? $"is a loopback address and {advertisedName} {advertised} is not: connections to {advertised} would not reach a silo that listens on loopback only."
            : null;
    }

    private static string Family(System.Net.IPAddress address) =>
        address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? "IPv6" : "IPv4";

    private static SiloClustering ClusteringOf(SiloClusterSettings settings, string? postgresConnectionString) =>
        settings.Clustering ?? (string.IsNullOrWhiteSpace(postgresConnectionString) ? SiloClustering.Localhost : SiloClustering.Postgres);

    private static void Validate(SiloClusterSettings settings, SiloClustering clustering, string? postgresConnectionString)
    {
        foreach (var (port, name) in new[] { (settings.SiloPort, nameof(settings.SiloPort)), (settings.GatewayPort, nameof(settings.GatewayPort)), (settings.PrimarySiloPort ?? 1, nameof(settings.PrimarySiloPort)) })
        {
            if (port is < 1 or > 65_535)
            {
                throw new ArgumentException($"{name} must be a port from 1 to 65535 (got {port}).", nameof(settings));
            }
        }

        if (settings.SiloPort == settings.GatewayPort)
        {
            throw new ArgumentException($"{nameof(settings.SiloPort)} and {nameof(settings.GatewayPort)} must be two different ports (both are {settings.SiloPort}).", nameof(settings));
        }

        if (string.IsNullOrWhiteSpace(settings.ClusterId) || string.IsNullOrWhiteSpace(settings.ServiceId))
        {
            throw new ArgumentException($"{nameof(settings.ClusterId)} and {nameof(settings.ServiceId)} must not be empty.", nameof(settings));
        }

        if (settings.AdvertisedAddress is { } advertised && AdvertisedAddressProblem(advertised) is { } problem)
        {
            throw new ArgumentException($"{nameof(settings.AdvertisedAddress)} {advertised} {problem}", nameof(settings));
        }

        if (settings.ListenAddress is { } listen && ListenAddressProblem(listen) is { } listenProblem)
        {
            throw new ArgumentException($"{nameof(settings.ListenAddress)} {listen} {listenProblem}", nameof(settings));
        }

        switch (clustering)
        {
            case SiloClustering.Localhost when settings.AdvertisedAddress is not null:
                throw new ArgumentException($"{nameof(settings.AdvertisedAddress)} is for PostgreSQL clustering; localhost clustering always uses the loopback address.", nameof(settings));
            case SiloClustering.Localhost when settings.ListenAddress is not null:
                throw new ArgumentException($"{nameof(settings.ListenAddress)} is for PostgreSQL clustering; localhost clustering always listens on the loopback address.", nameof(settings));
            case SiloClustering.Postgres when settings.PrimarySiloPort is not null:
                throw new ArgumentException($"{nameof(settings.PrimarySiloPort)} is for localhost clustering; with PostgreSQL clustering the silos find each other in the database.", nameof(settings));
            case SiloClustering.Postgres when string.IsNullOrWhiteSpace(postgresConnectionString):
                throw new ArgumentException("PostgreSQL clustering needs the database's connection string (the host's Roundabout:Postgres:ConnectionString setting).", nameof(postgresConnectionString));
            case SiloClustering.Localhost or SiloClustering.Postgres:
                break;
            default:
                throw new ArgumentException($"{nameof(settings.Clustering)} {settings.Clustering} is not one of {string.Join(", ", Enum.GetNames<SiloClustering>())}.", nameof(settings));
        }
    }
}
