using System.Buffers.Binary;
using Microsoft.Extensions.Logging;
using Roundabout.Storage;

namespace Roundabout.Transactions.Timestamps;

/// <summary>
/// Hands out strictly increasing timestamps. Before handing out a timestamp at or above the
/// durable ceiling it raises the ceiling in storage, so a new activation (after a crash or a
/// move) starts above every timestamp the previous one could have handed out.
/// </summary>
[GrainType(Hosting.RoundaboutGrainTypes.TimestampOracle)]
internal sealed partial class TimestampOracleGrain(IRecordStore store, ILogger<TimestampOracleGrain> logger)
    : Grain, ITimestampOracleGrain
{
    internal const string CeilingKey = "roundabout/oracle/ceiling";

    /// <summary>How many timestamps one durable write reserves.</summary>
    private const long ReservationBlock = 1_000_000;

    /// <summary>A process that has not called for this long no longer holds snapshots back.</summary>
    private static readonly TimeSpan ProcessExpiry = TimeSpan.FromSeconds(30);

    private readonly Dictionary<Guid, ProcessReport> _reports = [];
    private DateTime _activatedAt;
    private long _firstOwn;
    private long _next;
    private long _ceiling;
    private string? _ceilingETag;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var record = await store.ReadAsync(CeilingKey, cancellationToken);
        if (record is not null)
        {
            _ceiling = BinaryPrimitives.ReadInt64LittleEndian(record.Value.Span);
            _ceilingETag = record.ETag;
        }

        // Everything below the stored ceiling may have been handed out by an earlier activation.
        _next = Math.Max(_ceiling, 1);
        _firstOwn = _next;
        _activatedAt = DateTime.UtcNow;
        LogActivated(logger, _next);
    }

    public async Task<TimestampGrant> Next(TimestampRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentOutOfRangeException.ThrowIfNegative(request.Count);

        if (_next + request.Count >= _ceiling)
        {
            await RaiseCeilingAsync(_next + request.Count + ReservationBlock);
        }

        // A process has one call in flight, so until its next call arrives here, the read
        // timestamps it runs at are the ones it reported plus some of the ones granted now.
        // Counting the whole grant as in use keeps every process's report complete up to the
        // present, so the horizon is "now", not the oldest process's last call.
        var now = DateTime.UtcNow;
        var first = _next;
        _next += request.Count;
        _reports[request.ProcessId] = new ProcessReport(request.ActiveReadTimestamps, new TimestampRange(first, request.Count), now);
        return new TimestampGrant(first, ComputeHorizon(now));
    }

    private SnapshotHorizon ComputeHorizon(DateTime now)
    {
        var active = new List<long>();
        var ranges = new List<TimestampRange>();
        if (_firstOwn > 1 && now - _activatedAt < ProcessExpiry)
        {
            // A new activation (after a move or a crash) has not heard from every process yet, and
            // those it has not heard from may run snapshots at timestamps an earlier activation
            // handed out: all below the first of its own. Until every live process has called
            // (within ProcessExpiry), every one of those counts as in use, so silos keep the
            // versions such snapshots read. (The timestamps it hands out itself it knows about.)
            ranges.Add(new TimestampRange(1, _firstOwn - 1));
        }

        List<Guid>? expired = null;
        foreach (var (processId, report) in _reports)
        {
            if (now - report.ReceivedAt > ProcessExpiry)
            {
                (expired ??= []).Add(processId);
                continue;
            }

            active.AddRange(report.ActiveReadTimestamps);
            if (report.LastGrant.Count > 0)
            {
                ranges.Add(report.LastGrant);
            }
        }

        if (expired is not null)
        {
            foreach (var processId in expired)
            {
                _reports.Remove(processId);
            }
        }

        active.Sort();
        return new SnapshotHorizon(_next - 1, [.. active], [.. ranges]);
    }

    private async Task RaiseCeilingAsync(long ceiling)
    {
        var bytes = new byte[sizeof(long)];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, ceiling);
        _ceilingETag = await store.WriteAsync(RecordWrite.Put(CeilingKey, bytes, _ceilingETag));
        _ceiling = ceiling;
    }

    private sealed record ProcessReport(long[] ActiveReadTimestamps, TimestampRange LastGrant, DateTime ReceivedAt);

    [LoggerMessage(Level = LogLevel.Information, Message = "Timestamp oracle activated; next timestamp {Next}")]
    private static partial void LogActivated(ILogger logger, long next);
}
