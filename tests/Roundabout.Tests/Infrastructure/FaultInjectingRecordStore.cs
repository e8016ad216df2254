using Roundabout.Storage;

namespace Roundabout.Tests.Infrastructure;

/// <summary>How a write chosen by <see cref="FaultInjectingRecordStore.FailWrites"/> fails.</summary>
public enum InjectedFault
{
    /// <summary>The write never happens, and the caller gets an exception.</summary>
    FailBeforeWriting,

    /// <summary>The write happens, and the caller still gets an exception (a lost acknowledgement).</summary>
    FailAfterWriting,

    /// <summary>The write never happens, and the store says so (<see cref="RecordStoreUnavailableException.NothingWritten"/>), as PostgreSQL does when it cannot be reached.</summary>
    RefuseSayingNothingWritten,
}

/// <summary>A store that fails chosen writes, to show that an unknown outcome is reported as unknown.</summary>
public sealed class FaultInjectingRecordStore(IRecordStore inner) : IRecordStore
{
    /// <summary>Which batches fail; <c>null</c> fails none.</summary>
    public Func<IReadOnlyList<RecordWrite>, bool>? FailWrites { get; set; }

    public InjectedFault Fault { get; set; } = InjectedFault.FailBeforeWriting;

    public int InjectedFailures { get; private set; }

    public Task<StoredRecord?> ReadAsync(string key, CancellationToken cancellationToken = default) => inner.ReadAsync(key, cancellationToken);

    public async Task<IReadOnlyList<string?>> WriteAsync(IReadOnlyList<RecordWrite> writes, CancellationToken cancellationToken = default)
    {
        if (FailWrites?.Invoke(writes) != true)
        {
            return await inner.WriteAsync(writes, cancellationToken);
        }

        InjectedFailures++;
        if (Fault == InjectedFault.FailAfterWriting)
        {
            await inner.WriteAsync(writes, cancellationToken);
        }

        throw Fault == InjectedFault.RefuseSayingNothingWritten
            ? new RecordStoreUnavailableException("Injected storage failure. Nothing was written.", nothingWritten: true)
            : new IOException("Injected storage failure.");
    }
}
