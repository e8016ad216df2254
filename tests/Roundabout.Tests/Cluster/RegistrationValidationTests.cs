using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Roundabout.Client.Embedded;
using Roundabout.Hosting;
using Roundabout.Silo.Hosting;
using Roundabout.Tests.Storage;
using Roundabout.Transactions;

namespace Roundabout.Tests.Cluster;

/// <summary>
/// "Switch with one line" must fail loudly when the line is not enough: a silo whose Roundabout
/// registrations were overridden, or that has no store, refuses to start with a message that says
/// which line to change. Before, it started, and its first transaction failed.
/// </summary>
public sealed class RegistrationValidationTests
{
    [Fact]
    public async Task Silo_UseTransactionsAfterAddRoundabout_RefusesToStartAndSaysWhichLineToRemove()
    {
        using var directory = new TempDataDirectory();

        var refused = await StartSiloAsync(silo => silo.UseFileLog(o => o.DataDirectory = directory.Path).AddRoundabout().UseTransactions());

        Assert.IsType<OrleansConfigurationException>(refused);
        Assert.Contains("Remove UseTransactions()", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Silo_UseRoundaboutTransactionsWithoutAStore_RefusesToStartAndSaysHowToAddOne()
    {
        var refused = await StartSiloAsync(silo => silo.UseRoundaboutTransactions());

        Assert.IsType<OrleansConfigurationException>(refused);
        Assert.Contains("IRecordStore", refused.Message, StringComparison.Ordinal);
        Assert.Contains("AddRoundabout()", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Silo_UseTransactionsBeforeAddRoundabout_Starts()
    {
        using var directory = new TempDataDirectory();

        var failure = await StartSiloAsync(silo => silo.UseTransactions().UseFileLog(o => o.DataDirectory = directory.Path).AddRoundabout());

        Assert.Null(failure);
    }

    [Fact]
    public async Task Silo_RootConflictRetriesSetOutsideTheRegistration_RefusesToStartAndSaysWhereToSetIt()
    {
        using var directory = new TempDataDirectory();

        var refused = await StartSiloAsync(silo =>
        {
            silo.UseFileLog(o => o.DataDirectory = directory.Path).AddRoundabout();
            silo.Services.Configure<RoundaboutTransactionOptions>(o => o.RootConflictRetries = 3);
        });

        Assert.IsType<OrleansConfigurationException>(refused);
        Assert.Contains("RootConflictRetries", refused.Message, StringComparison.Ordinal);
        Assert.Contains("AddRoundabout()", refused.Message, StringComparison.Ordinal);
    }

    /// <summary>Starts and stops a one-silo host; returns why it would not start, or null.</summary>
    private static async Task<Exception?> StartSiloAsync(Action<ISiloBuilder> configure)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.UseOrleans(silo =>
        {
            silo.UseLocalhostClustering(siloPort: EmbeddedSilo.FreePort(), gatewayPort: EmbeddedSilo.FreePort());
            configure(silo);
        });
        using var host = builder.Build();
        try
        {
            await host.StartAsync();
        }
        catch (Exception exception)
        {
            return exception;
        }

        await host.StopAsync();
        return null;
    }
}
