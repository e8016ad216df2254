using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Roundabout.Silo.Hosting;

// A silo on localhost clustering. Settings come from the usual .NET configuration sources,
// for instance: --Roundabout:Storage:DataDirectory ./data --Roundabout:SiloPort 11111 --Roundabout:GatewayPort 30000
var builder = Host.CreateApplicationBuilder(args);
var settings = builder.Configuration.GetSection("Roundabout");
builder.UseOrleans(silo =>
{
    silo.UseLocalhostClustering(
        siloPort: settings.GetValue("SiloPort", 11111),
        gatewayPort: settings.GetValue("GatewayPort", 30000));
    silo.UseFileLog(options => settings.GetSection("Storage").Bind(options));
    silo.AddRoundabout();
    silo.AddRoundaboutGrainStorage();
});

await builder.Build().RunAsync();
