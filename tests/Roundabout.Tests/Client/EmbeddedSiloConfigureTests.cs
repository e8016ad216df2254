using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Roundabout.Client.Embedded;
using Roundabout.Silo.Hosting;
using Roundabout.Tests.Storage;

namespace Roundabout.Tests.Client;

/// <summary>
/// An embedded silo takes the application's own configuration: it runs after Roundabout's, so what
/// it sets is what the silo uses.
/// </summary>
public sealed class EmbeddedSiloConfigureTests
{
    [Fact]
    public async Task Configure_SetsTheLogsOptionsAndOrleansOwn_TheSiloRunsWithThem()
    {
        using var directory = new TempDataDirectory();
        var elsewhere = Path.Combine(Path.GetTempPath(), $"roundabout-elsewhere-{Guid.NewGuid():N}");
        await using var silo = await EmbeddedSilo.StartAsync(directory.Path, configure: builder =>
        {
            builder.UseFileLog(options =>
            {
                options.MaxRecordBytes = 4096;
                options.DataDirectory = elsewhere; // the directory given to StartAsync stays the log's
            });
            builder.Configure<SiloOptions>(options => options.SiloName = "embedded-with-options");
        });

        Assert.Equal("embedded-with-options", silo.Client.ServiceProvider.GetRequiredService<IOptions<SiloOptions>>().Value.SiloName);
        await silo.Roundabout.PutAsync("small", new byte[1000]);
        var refused = await Assert.ThrowsAnyAsync<Exception>(() => silo.Roundabout.PutAsync("large", new byte[10_000]));
        Assert.Contains("takes at most 4096", refused.ToString(), StringComparison.Ordinal);
        Assert.Null((await silo.Roundabout.GetAsync("large")).Value);
        Assert.Equal(1000, (await silo.Roundabout.GetAsync("small")).Value!.Length);
        Assert.False(Directory.Exists(elsewhere));
        Assert.NotEmpty(Directory.GetFileSystemEntries(directory.Path));
    }

    [Fact]
    public async Task Configure_Throws_StartFailsWithItAndTheDirectoryStaysFree()
    {
        using var directory = new TempDataDirectory();

        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            EmbeddedSilo.StartAsync(directory.Path, configure: _ => throw new InvalidOperationException("the application's own configuration failed")));
        Assert.Equal("the application's own configuration failed", failure.Message);

        await using var silo = await EmbeddedSilo.StartAsync(directory.Path);
        await silo.Roundabout.PutAsync("doc", "value"u8.ToArray());
    }
}
