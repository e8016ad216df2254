using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Roundabout.Tests.Infrastructure;

/// <summary>
/// A private PostgreSQL server for tests: its own cluster in a fresh temporary directory, its own
/// port on 127.0.0.1 and its own socket directory, so it never touches (or depends on) a server the
/// machine may already run. Connections are trusted; the superuser is roundabout.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    private const string User = "roundabout";

    /// <summary>pg_ctl's own wait (-t) is 60 s; this leaves it room to report its failure before it is killed.</summary>
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    private readonly string _root;
    private readonly string _data;
    private readonly string _sockets;
    private readonly string _log;
    private bool _disposed;

    private PostgresServer(string binDirectory, string root, int port)
    {
        BinDirectory = binDirectory;
        _root = root;
        _data = Path.Combine(root, "data");
        _sockets = Path.Combine(root, "sockets");
        _log = Path.Combine(root, "server.log");
        Port = port;
    }

    /// <summary>The directory of the server's programs, for tests that run its clients (psql) too.</summary>
    public string BinDirectory { get; }

    public int Port { get; }

    /// <summary>The server's default database; plain text so the fixture needs no driver.</summary>
    public string ConnectionString => ConnectionStringFor("postgres");

    /// <summary>Creates a cluster and starts it; nothing is left behind if either step fails.</summary>
    public static async Task<PostgresServer> StartAsync()
    {
        var bin = PostgresPrograms.FindBinDirectory();
        var root = Directory.CreateTempSubdirectory("roundabout-pg-").FullName;
        var server = new PostgresServer(bin, root, FreePort());
        try
        {
            Directory.CreateDirectory(server._sockets);
            if (PostgresPrograms.IsRoot)
            {
                // The programs run as postgres, which must own the data directory and write the socket and log.
                await PostgresPrograms.RunAsCurrentUserAsync("chown", ["-R", "postgres:", root]);
            }

            // --no-sync: a test cluster that a machine crash loses is simply made again.
            // --locale=C: the same sort order everywhere, and no dependency on the machine's generated locales.
            await server.RunAsync("initdb", ["-D", server._data, "-A", "trust", "-U", User, "-E", "UTF8", "--locale=C", "--no-sync"]);
            await server.StartServerAsync();
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Creates a database (each test class can have its own) and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string name)
    {
        await RunAsync("createdb", ["-h", "127.0.0.1", "-p", PortText, "-U", User, name]);
        return ConnectionStringFor(name);
    }

    /// <summary>Runs statements, in order, on the server's administrative database (ALTER DATABASE, pg_terminate_backend...).</summary>
    public async Task AdministerAsync(params string[] statements)
    {
        await using var connection = new Npgsql.NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        foreach (var statement in statements)
        {
            await using var command = new Npgsql.NpgsqlCommand(statement, connection);
            await command.ExecuteNonQueryAsync();
        }
    }

    /// <summary>
    /// Immediate shutdown: the server stops without a checkpoint, so the next start runs crash
    /// recovery, as after a crash.
    /// </summary>
    public Task KillAsync() => StopAsync(ignoreFailure: false);

    /// <summary>Stops the server immediately (if it runs) and starts it again on the same data and port.</summary>
    public async Task RestartAsync()
    {
        await StopAsync(ignoreFailure: true);
        await StartServerAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;

        // Never started, already killed or failed to start: there is nothing to stop, and the directory must still go.
        await StopAsync(ignoreFailure: true);
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    private string PortText => Port.ToString(CultureInfo.InvariantCulture);

    private string ConnectionStringFor(string database) =>
        $"Host=127.0.0.1;Port={PortText};Username={User};Database={database};Pooling=true";

    private async Task StartServerAsync()
    {
        // -k: a socket directory of its own, so the server never needs (or collides in) /var/run/postgresql.
        // max_connections: tests open many pooled connections at once; the default 100 is too few.
        var options = $"-p {PortText} -k {_sockets} -c listen_addresses=127.0.0.1 -c fsync=on -c max_connections=200";
        var result = await PostgresPrograms.TryRunAsync(
            Path.Combine(BinDirectory, "pg_ctl"), ["-D", _data, "-l", _log, "-w", "-t", "60", "-o", options, "start"], _root, StartTimeout);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"{result.CommandLine} failed: {result.Describe()}{Environment.NewLine}{LogTail()}");
        }
    }

    private async Task StopAsync(bool ignoreFailure)
    {
        if (!Directory.Exists(_data))
        {
            return;
        }

        var result = await PostgresPrograms.TryRunAsync(Path.Combine(BinDirectory, "pg_ctl"), ["-D", _data, "-m", "immediate", "stop"], _root);
        if (result.ExitCode != 0 && !ignoreFailure)
        {
            throw new InvalidOperationException($"{result.CommandLine} failed: {result.Describe()}{Environment.NewLine}{LogTail()}");
        }
    }

    private async Task RunAsync(string program, IEnumerable<string> arguments)
    {
        var result = await PostgresPrograms.TryRunAsync(Path.Combine(BinDirectory, program), arguments, _root);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"{result.CommandLine} failed: {result.Describe()}{Environment.NewLine}{LogTail()}");
        }
    }

    /// <summary>The server's last words: why it refused to start or stopped is written there, not to pg_ctl's output.</summary>
    private string LogTail()
    {
        if (!File.Exists(_log))
        {
            return $"(no server log at {_log})";
        }

        var lines = File.ReadAllLines(_log);
        return $"Last lines of {_log}:{Environment.NewLine}{string.Join(Environment.NewLine, lines.TakeLast(30))}";
    }

    /// <summary>A port that was free a moment ago; the small race with other processes is accepted for tests.</summary>
    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        finally
        {
            listener.Stop();
        }
    }
}
