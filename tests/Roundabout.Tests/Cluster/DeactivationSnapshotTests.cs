using Roundabout.Accounts;
using Roundabout.Records;
using Roundabout.Tests.Infrastructure;
using Roundabout.Transactions;

namespace Roundabout.Tests.Cluster;

/// <summary>
/// A read-only snapshot that began before a grain was deactivated, and reads it after a newer
/// version was committed there, still sees its own version: the stopping activation stored the
/// older versions in its record, and the next activation loads them. It used to fail with
/// <see cref="SnapshotTooOldException"/>, a read-only transaction aborting. For the next activation
/// on another silo, see <see cref="SnapshotAcrossSilosTests"/>.
/// </summary>
public sealed class DeactivationSnapshotTests : IAsyncLifetime
{
    private RoundaboutCluster _cluster = null!;
    private HoldingRecordStore _store = null!;

    public async Task InitializeAsync() =>
        _cluster = await RoundaboutCluster.StartAsync(silos: 1, wrapStore: inner => _store = new HoldingRecordStore(inner));

    public async Task DisposeAsync()
    {
        _store.Release();
        await _cluster.DisposeAsync();
    }

    private IGrainFactory Grains => _cluster.Grains;

    [Fact]
    public async Task Snapshot_RecordDeactivatedAfterANewerCommit_StillReadsItsVersion()
    {
        var (x, y) = (Grains.GetGrain<IRecordGrain>(Keys.New("rec")), Grains.GetGrain<IRecordGrain>(Keys.New("rec")));
        await x.Put([1]);
        await y.Put([1]);

        var seen = await ReadAcrossDeactivationAsync(
            first: async () => (await y.Get()).Value![0],
            then: async () => (await x.Get()).Value![0],
            between: async () =>
            {
                await x.Put([2]);
                await _cluster.Cluster.DeactivateAsync(x);
            });

        Assert.Equal((1, 1), seen);
        Assert.Equal(2, (await x.Get()).Value![0]); // and the new activation has the newest version too
    }

    [Fact]
    public async Task Snapshot_AccountDeactivatedAfterANewerCommit_StillReadsItsBalance()
    {
        var (a, b) = (Grains.GetGrain<IAccountGrain>(Keys.New("acct")), Grains.GetGrain<IAccountGrain>(Keys.New("acct")));
        await a.Deposit(100);
        await b.Deposit(100);

        var seen = await ReadAcrossDeactivationAsync(
            first: b.GetBalance,
            then: a.GetBalance,
            between: async () =>
            {
                await Grains.GetGrain<IBankGrain>(0).Transfer(a.GetPrimaryKeyString(), b.GetPrimaryKeyString(), 30);

                // The transfer's installs travel one-way: a later read waits until a has the new
                // balance, so that the deactivation has an older version to keep.
                Assert.Equal(70, await a.GetBalance());
                await _cluster.Cluster.DeactivateAsync(a);
            });

        // One snapshot: the total is whole, before the transfer.
        Assert.Equal((100, 100), seen);
        Assert.Equal(70, await a.GetBalance());
    }

    [Fact]
    public async Task Snapshot_RecordDeactivatedWhileAWriteIsPrepared_StillReadsItsVersion()
    {
        var (x, y, z) = (Grains.GetGrain<IRecordGrain>(Keys.New("rec")), Grains.GetGrain<IRecordGrain>(Keys.New("rec")), Grains.GetGrain<IRecordGrain>(Keys.New("rec")));
        await x.Put([1]);
        await y.Put([1]);
        Task? prepared = null;

        var seen = await ReadAcrossDeactivationAsync(
            first: async () => (await y.Get()).Value![0],
            then: async () => (await x.Get()).Value![0],
            between: async () =>
            {
                await x.Put([2]);

                // A later transaction prepares a write at x and waits for its decision meanwhile.
                _store.HoldWrites = DecisionWrites.HasCommit;
                prepared = _cluster.Transactions.RunOneRoundAsync(round => [x.PutInRound(round, [3]), z.PutInRound(round, [3])]);
                await _store.FirstHeld.WaitAsync(TimeSpan.FromSeconds(20));
                await _cluster.Cluster.DeactivateAsync(x);
            });

        Assert.Equal((1, 1), seen);
        _store.Release();
        await prepared!.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(3, (await x.Get()).Value![0]); // the next activation recovered the prepared write, and it committed
    }

    /// <summary>
    /// A stopping activation waits for its last write (the versions a running snapshot may read) for
    /// at most 5 s (<c>ParticipantTimings.LastWriteTimeout</c>), not for as long as the store hangs:
    /// Orleans' own bound is 30 s, and calls to the grain wait meanwhile.
    /// </summary>
    [Fact]
    public async Task Deactivation_ItsLastWriteHangs_LetsTheActivationGoWithinTheBound()
    {
        var (x, y) = (Grains.GetGrain<IRecordGrain>(Keys.New("rec")), Grains.GetGrain<IRecordGrain>(Keys.New("rec")));
        await x.Put([1]);
        await y.Put([1]);
        var inside = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var snapshot = _cluster.Transactions.RunAsync(
            async () =>
            {
                var seen = (await y.Get()).Value![0];
                inside.SetResult();
                await go.Task;
                return seen;
            },
            TransactionOptions.ReadOnlySnapshot);
        await inside.Task.WaitAsync(TimeSpan.FromSeconds(20));
        await x.Put([2]); // x's version 1 is one the running snapshot may read

        var id = x.GetGrainId().ToString();
        _store.HoldWrites = writes => writes.Any(write => write.Key.Contains(id, StringComparison.Ordinal));
        var stopwatch = System.Diagnostics.Stopwatch.StartNew();
        await _cluster.Cluster.DeactivateAsync(x).WaitAsync(TimeSpan.FromSeconds(60));
        var took = stopwatch.Elapsed;
        _store.Release();
        go.SetResult();

        Assert.True(_store.FirstHeld.IsCompleted, "the stopping activation did not write its versions");
        Assert.True(took < TimeSpan.FromSeconds(15), $"the deactivation took {took}");
        Assert.Equal(1, await snapshot.WaitAsync(TimeSpan.FromSeconds(20)));
    }

    /// <summary>
    /// Reads <paramref name="first"/> in a read-only snapshot, runs <paramref name="between"/>
    /// outside it (which deactivates a grain), then reads <paramref name="then"/> in the same snapshot.
    /// </summary>
    private Task<(T First, T Then)> ReadAcrossDeactivationAsync<T>(Func<Task<T>> first, Func<Task<T>> then, Func<Task> between) =>
        PausedSnapshot.ReadAsync(_cluster.Transactions, first, between, then);
}
