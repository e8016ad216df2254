using Roundabout.Tests.Crash;

namespace Roundabout.Tests.Cli;

/// <summary>One real silo process (TCP gateway on localhost) for commands that connect with --gateway.</summary>
public sealed class SiloProcessFixture : IAsyncLifetime
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), $"roundabout-cli-{Guid.NewGuid():N}");
    private SiloProcess? _silo;

    public string Gateway => $"localhost:{_silo!.GatewayPort}";

    public async Task InitializeAsync()
    {
        _silo = SiloProcess.Start(_data, "Strict", _data + ".log");
        using var probe = await _silo.ConnectAsync(TimeSpan.FromSeconds(60));
    }

    public async Task DisposeAsync()
    {
        if (_silo is not null)
        {
            await _silo.DisposeAsync();
        }

        if (Directory.Exists(_data))
        {
            Directory.Delete(_data, recursive: true);
        }

        File.Delete(_data + ".log");
    }
}
