using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Roundabout.Hosting;

namespace Roundabout.Transactions.Timestamps;

/// <summary>
/// One per process. Keeps at most one oracle call in flight; every request that arrives
/// meanwhile shares the next call. A quiet process still calls now and then (a heartbeat)
/// so that its finished snapshots stop holding old versions in memory.
/// </summary>
/// <remarks>
/// The order below is what makes the snapshot horizon safe:
/// 1. a call carries the read timestamps registered so far;
/// 2. when it returns, the granted timestamps are registered (for the requests that asked)
///    before the waiters are released and before the next call is built;
/// 3. so every read timestamp this process runs at is in the report of the call after the
///    one that granted it, and the oracle knows it before it can count the process as complete past it.
/// </remarks>
internal sealed partial class TimestampBatcher : ITimestampSource, IAsyncDisposable
{
    private static readonly TimeSpan HeartbeatInterval = TimeSpan.FromMilliseconds(250);

    private readonly GrainReferences _references;
    private readonly ActiveSnapshotRegistry _registry;
    private readonly ILogger<TimestampBatcher> _logger;
    private readonly Guid _processId = Guid.NewGuid();
    private readonly Lock _lock = new();
    private readonly CancellationTokenSource _stopping = new();
    private List<Waiter> _pending = [];
    private bool _callInFlight;
    private long _lastCallTicks;
    private int _disposed;
    private Task? _heartbeat;
    private volatile SnapshotHorizon _horizon = SnapshotHorizon.None;

    /// <param name="lifetime">
    /// The host's, when there is one: the heartbeat stops as soon as the host begins to stop. A
    /// silo that is shutting down refuses calls to the oracle, and Orleans logs each refused call
    /// as an error with its stack, so heartbeats until disposal made a clean stop look like a failure.
    /// </param>
    public TimestampBatcher(GrainReferences references, ActiveSnapshotRegistry registry, ILogger<TimestampBatcher> logger, IHostApplicationLifetime? lifetime = null)
    {
        _references = references;
        _registry = registry;
        _logger = logger;
        lifetime?.ApplicationStopping.Register(StopHeartbeat);
    }

    private void StopHeartbeat()
    {
        try
        {
            _stopping.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Disposed first (a host that is torn down without being stopped): nothing beats any more.
        }
    }

    public SnapshotHorizon Horizon => _horizon;

    public Task<long> NextAsync(Guid? registerAs = null, TimeSpan registrationTimeout = default)
    {
        var waiter = new Waiter(new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously), registerAs, registrationTimeout);
        bool startCall;
        lock (_lock)
        {
            _pending.Add(waiter);
            startCall = !_callInFlight;
            _callInFlight = true;
            _heartbeat ??= DetachedTask.Run(HeartbeatLoopAsync);
        }

        if (startCall)
        {
            _ = DetachedTask.Run(CallLoopAsync);
        }

        return waiter.Completion.Task;
    }

    private async Task CallLoopAsync()
    {
        while (true)
        {
            List<Waiter> batch;
            lock (_lock)
            {
                if (_pending.Count == 0)
                {
                    _callInFlight = false;
                    return;
                }

                batch = _pending;
                _pending = [];
            }

            await CallOracleAsync(batch);
        }
    }

    private async Task CallOracleAsync(List<Waiter> batch)
    {
        Volatile.Write(ref _lastCallTicks, Environment.TickCount64);
        try
        {
            // Made per call (cheaply: GrainReferences caches the type lookups), not at construction:
            // a client knows the cluster's grain types only once it has connected.
            var grant = await _references.Get<ITimestampOracleGrain>(0).Next(new TimestampRequest(_processId, batch.Count, _registry.Snapshot()));
            _horizon = grant.Horizon;
            for (var i = 0; i < batch.Count; i++)
            {
                if (batch[i].RegisterAs is { } transactionId)
                {
                    _registry.Register(transactionId, grant.First + i, batch[i].RegistrationTimeout);
                }
            }

            for (var i = 0; i < batch.Count; i++)
            {
                batch[i].Completion.TrySetResult(grant.First + i);
            }
        }
        catch (Exception exception)
        {
            if (batch.Count > 0)
            {
                LogOracleCallFailed(_logger, exception, batch.Count);
            }
            else
            {
                // A heartbeat: nobody waits for it, and the next call repeats its report. It fails
                // as a matter of course while the silo shuts down.
                LogHeartbeatFailed(_logger, exception);
            }
            foreach (var waiter in batch)
            {
                waiter.Completion.TrySetException(exception);
            }
        }
    }

    private async Task HeartbeatLoopAsync()
    {
        using var timer = new PeriodicTimer(HeartbeatInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token))
            {
                var idleFor = Environment.TickCount64 - Volatile.Read(ref _lastCallTicks);
                if (idleFor < HeartbeatInterval.TotalMilliseconds)
                {
                    continue;
                }

                bool startCall;
                lock (_lock)
                {
                    startCall = !_callInFlight;
                    _callInFlight = true;
                }

                if (startCall)
                {
                    // A call for no timestamps: it reports this process's snapshots and refreshes the horizon.
                    await CallOracleAsync([]);
                    await CallLoopAsync();
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return; // registered under two service types, so disposed twice
        }

        await _stopping.CancelAsync();
        if (_heartbeat is { } heartbeat)
        {
            await heartbeat;
        }

        _stopping.Dispose();
    }

    private sealed record Waiter(TaskCompletionSource<long> Completion, Guid? RegisterAs, TimeSpan RegistrationTimeout);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Timestamp oracle call for {Count} timestamps failed")]
    private static partial void LogOracleCallFailed(ILogger logger, Exception exception, int count);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Timestamp oracle heartbeat failed")]
    private static partial void LogHeartbeatFailed(ILogger logger, Exception exception);
}
