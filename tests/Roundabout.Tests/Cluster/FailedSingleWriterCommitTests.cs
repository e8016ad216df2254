using System.Diagnostics;
using Orleans.Transactions;
using Roundabout.Accounts;
using Roundabout.Storage;
using Roundabout.Tests.Infrastructure;

namespace Roundabout.Tests.Cluster;

/// <summary>
/// A single writer's commit whose write fails stays undecided at its slot: only a reload can tell
/// whether it reached the disk. A reader already waiting for it must leave (its transaction
/// aborts) instead of waiting for good, because Orleans does not finish deactivating an activation
/// while a request runs: the grain would hold every later call instead of reloading.
/// </summary>
public sealed class FailedSingleWriterCommitTests() : WrappedStoreClusterTest<FailedSingleWriterCommitTests.HoldThenFailStore>(
    inner => new HoldThenFailStore(inner),
    options => options.PreparedResolutionTimeout = TimeSpan.FromSeconds(1))
{
    protected override void BeforeStop() => Store.Release();

    [Fact]
    public async Task SingleWriterCommitFails_WhileAReaderWaitsForIt_TheAccountComesBack()
    {
        var (account, key) = await NewAccountWith100Async();

        // The balance is a counter: its single-writer commit is the deposit's.
        var fresh = await FailTheCommitUnderAWaitingReaderAsync(key, "/counter/", () => account.Deposit(10), account.GetBalance);

        Assert.Equal(100, fresh);
    }

    [Fact]
    public async Task SingleWriterStateCommitFails_WhileAReaderWaitsForIt_TheAccountComesBack()
    {
        var (account, key) = await NewAccountWith100Async();

        // The overdraft setting is a transactional state; a snapshot read reads it.
        var fresh = await FailTheCommitUnderAWaitingReaderAsync(key, "/state/", () => account.SetOverdraftLimit(50), account.GetSnapshot);

        Assert.Equal(new AccountSnapshot(100, 0), fresh);
    }

    private async Task<(IAccountGrain Account, string Key)> NewAccountWith100Async()
    {
        var key = Keys.New("acct");
        var account = Cluster.Grains.GetGrain<IAccountGrain>(key);
        await account.Deposit(100);
        return (account, key);
    }

    /// <summary>
    /// Holds the single-writer commit of <paramref name="commit"/> at the account's
    /// <paramref name="slotKind"/> slot, starts <paramref name="read"/> (which waits for the
    /// commit's outcome), fails the held write, and returns the first read that answers after it.
    /// </summary>
    private async Task<T> FailTheCommitUnderAWaitingReaderAsync<T>(string key, string slotKind, Func<Task> commit, Func<Task<T>> read)
    {
        Store.Arm(writes => writes.Any(w => w.Key.Contains(slotKind, StringComparison.Ordinal) && w.Key.Contains(key, StringComparison.Ordinal)));
        // Committed from the client (the coordinator grain), not inside the account's own call,
        // so the account is free to take the reader while the commit's write is in flight.
        var committing = Cluster.TransactionClient.RunTransaction(TransactionOption.Create, commit);
        await Store.FirstHeld.WaitAsync(TimeSpan.FromSeconds(10));

        // A reader whose snapshot is above the commit timestamp waits for the commit's outcome.
        var waitingReader = read();
        await Task.Delay(500);
        Assert.False(waitingReader.IsCompleted);

        Store.Release(); // the held write fails: the commit is in doubt, the slot deactivates to reload
        var outcome = await Record.ExceptionAsync(() => committing.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.IsType<OrleansTransactionInDoubtException>(outcome);

        // The failed activation should go and a new one reload from storage: a fresh read answers.
        return await ReadOnceReloadedAsync(read, waitingReader);
    }

    /// <summary>Reads until the grain answers again, for up to 45 s after the failure.</summary>
    private static async Task<T> ReadOnceReloadedAsync<T>(Func<Task<T>> read, Task waitingReader)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(45);
        Exception? last = null;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                return await read().WaitAsync(TimeSpan.FromSeconds(3));
            }
            catch (Exception exception)
            {
                last = exception;
            }
        }

        Assert.Fail($"no read of the account answered within 45 s of the failure (last: {last?.GetType().Name}: {last?.Message}); the reader that waited for the failed commit completed: {waitingReader.IsCompleted}");
        throw new UnreachableException();
    }

    public sealed class HoldThenFailStore(IRecordStore inner) : IRecordStore
    {
        private readonly TaskCompletionSource _held = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private Func<IReadOnlyList<RecordWrite>, bool>? _hold;

        public Task FirstHeld => _held.Task;

        public void Arm(Func<IReadOnlyList<RecordWrite>, bool> hold) => _hold = hold;

        public void Release() => _released.TrySetResult();

        public Task<StoredRecord?> ReadAsync(string key, CancellationToken cancellationToken = default) => inner.ReadAsync(key, cancellationToken);

        public async Task<IReadOnlyList<string?>> WriteAsync(IReadOnlyList<RecordWrite> writes, CancellationToken cancellationToken = default)
        {
            if (_hold is { } hold && hold(writes) && Interlocked.Exchange(ref _hold, null) is not null)
            {
                _held.TrySetResult();
                await _released.Task;
                throw new IOException("Injected failure of a held write.");
            }

            return await inner.WriteAsync(writes, cancellationToken);
        }
    }
}
