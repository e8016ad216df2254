using Roundabout.Storage;

namespace Roundabout.Tests.Infrastructure;

/// <summary>
/// A store that keeps chosen writes waiting until the test releases them, to hold a transaction
/// at a chosen step of its commit (prepared, its decision not yet recorded) while others run.
/// </summary>
public sealed class HoldingRecordStore(IRecordStore inner) : IRecordStore
{
    private readonly TaskCompletionSource _held = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Which batches wait for <see cref="Release"/>; <c>null</c> holds none.</summary>
    public Func<IReadOnlyList<RecordWrite>, bool>? HoldWrites { get; set; }

    /// <summary>Completes when the first held batch has arrived.</summary>
    public Task FirstHeld => _held.Task;

    /// <summary>Lets every held batch (and any later one) be written.</summary>
    public void Release() => _released.TrySetResult();

    public Task<StoredRecord?> ReadAsync(string key, CancellationToken cancellationToken = default) => inner.ReadAsync(key, cancellationToken);

    public async Task<IReadOnlyList<string?>> WriteAsync(IReadOnlyList<RecordWrite> writes, CancellationToken cancellationToken = default)
    {
        if (HoldWrites?.Invoke(writes) == true && !_released.Task.IsCompleted)
        {
            _held.TrySetResult();
            await _released.Task.WaitAsync(cancellationToken);
        }

        return await inner.WriteAsync(writes, cancellationToken);
    }
}
