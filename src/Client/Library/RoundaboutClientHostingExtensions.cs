using Microsoft.Extensions.DependencyInjection.Extensions;
using Roundabout.Hosting;

namespace Roundabout.Client.Library;

public static class RoundaboutClientHostingExtensions
{
    /// <summary>
    /// A client of a Roundabout cluster: Roundabout's agent plus <see cref="RoundaboutClient"/> in
    /// the services. Configure clustering as for any Orleans client (the same options as the silos).
    /// </summary>
    public static IClientBuilder AddRoundaboutClient(this IClientBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.UseRoundaboutTransactions();
        builder.Services.TryAddSingleton<RoundaboutClient>();
        return builder;
    }

    /// <summary>Connects to a silo on this machine (localhost clustering) at <paramref name="gatewayPort"/>.</summary>
    public static IClientBuilder AddRoundaboutLocalClient(this IClientBuilder builder, int gatewayPort = 30000)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(gatewayPort);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(gatewayPort, System.Net.IPEndPoint.MaxPort);
        builder.UseLocalhostClustering(gatewayPort);
        return builder.AddRoundaboutClient();
    }
}
