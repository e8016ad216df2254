using Microsoft.Extensions.Hosting;
using Roundabout.Silo.Hosting;
using Roundabout.Silo.Persistence.Memory;
using Roundabout.Storage;

namespace Roundabout.Tests.Unit;

/// <summary>The store a silo persists through is the one chosen last, whichever way it was chosen.</summary>
public sealed class SiloRegistrationTests
{
    [Fact]
    public void UseRecordStore_AfterUsePostgres_LeavesOnlyTheGivenStore()
    {
        var store = new InMemoryRecordStore();
        var host = Host.CreateApplicationBuilder();

        host.UseOrleans(silo => silo.AddRoundabout().UsePostgres(options => options.ConnectionString = "Host=db").UseRecordStore(store));

        var registered = Assert.Single(host.Services, service => service.ServiceType == typeof(IRecordStore));
        Assert.Same(store, registered.ImplementationInstance);
    }
}
