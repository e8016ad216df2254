using Microsoft.Extensions.Hosting;
using Roundabout.Silo.Hosting;

// A single silo on localhost clustering; `roundabout silo` hosts the same thing with options.
var builder = Host.CreateApplicationBuilder(args);
builder.UseOrleans(silo =>
{
    silo.UseLocalhostClustering();
    silo.AddRoundabout();
});

await builder.Build().RunAsync();
