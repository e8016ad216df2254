using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Roundabout.Silo.Hosting;

// A silo on localhost clustering. Settings come from the usual .NET configuration sources,
// for instance: --Roundabout:Storage:DataDirectory ./data --Roundabout:SiloPort 11111 --Roundabout:GatewayPort 30000,
// or --Roundabout:Postgres:ConnectionString "Host=...;Database=..." to keep the records in PostgreSQL.
var builder = Host.CreateApplicationBuilder(args);
var settings = builder.Configuration.GetSection("Roundabout");
builder.UseOrleans(silo =>
{
    silo.UseLocalhostClustering(
        siloPort: settings.GetValue("SiloPort", 11111),
        gatewayPort: settings.GetValue("GatewayPort", 30000));
    var postgres = settings.GetSection("Postgres");
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

await builder.Build().RunAsync();
