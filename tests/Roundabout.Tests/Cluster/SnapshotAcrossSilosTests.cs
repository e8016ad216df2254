using Orleans.TestingHost;
using Roundabout.Accounts;
using Roundabout.Records;
using Roundabout.Tests.Infrastructure;
using Roundabout.Transactions;
using Roundabout.Transactions.Timestamps;

namespace Roundabout.Tests.Cluster;

/// <summary>
/// A read-only snapshot that began before a grain moved to another silo (migrated, or its silo
/// shut down gracefully, as in a rolling upgrade), and reads the grain after a newer version was
/// committed there, still sees its own version: the stopping activation stored the older versions
/// that snapshots may still read in its record (<c>DurableSlot.History</c>), and the activation on
/// the other silo loads them. It used to fail with <see cref="SnapshotTooOldException"/>, a
/// read-only transaction aborting (a migration carried the versions in Orleans' migration context;
/// a shutdown lost them).
/// </summary>
public sealed class SnapshotAcrossSilosTests : IAsyncLifetime
{
    private static readonly TimeSpan Prompt = TimeSpan.FromSeconds(20);

    private RoundaboutCluster _cluster = null!;
    private RecordingRecordStore _store = null!;

    /// <summary>How the grain gets to another silo while the snapshot runs.</summary>
    public enum Move
    {
        Migration,
        SiloShutdown,
    }

    public async Task InitializeAsync() =>
        _cluster = await RoundaboutCluster.StartAsync(silos: 3, wrapStore: inner => _store = new RecordingRecordStore(inner));

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    private IGrainFactory Grains => _cluster.Grains;

    [Theory]
    [InlineData(Move.Migration)]
    [InlineData(Move.SiloShutdown)]
    public async Task Snapshot_RecordMovedAfterANewerCommit_StillReadsItsVersion(Move move)
    {
        var (x, y) = (Grains.GetGrain<IRecordGrain>(Keys.New("rec")), Grains.GetGrain<IRecordGrain>(Keys.New("rec")));
        await x.Put([1]);
        await y.Put([1]);

        var seen = await ReadAcrossMoveAsync(
            x,
            move,
            first: async () => (await y.Get()).Value![0],
            newerCommit: () => x.Put([2]),
            then: async () => (await x.Get()).Value![0]);

        Assert.Equal((1, 1), seen);
        Assert.Equal(2, (await x.Get()).Value![0]);
    }

    [Theory]
    [InlineData(Move.Migration)]
    [InlineData(Move.SiloShutdown)]
    public async Task Snapshot_AccountMovedAfterANewerCommit_StillReadsItsBalance(Move move)
    {
        var (a, b) = (Grains.GetGrain<IAccountGrain>(Keys.New("acct")), Grains.GetGrain<IAccountGrain>(Keys.New("acct")));
        await a.Deposit(100);
        await b.Deposit(100);

        var seen = await ReadAcrossMoveAsync(
            a,
            move,
            first: b.GetBalance,
            newerCommit: async () =>
            {
                await Grains.GetGrain<IBankGrain>(0).Transfer(a.GetPrimaryKeyString(), b.GetPrimaryKeyString(), 30);

                // The transfer's installs travel one-way: a later read waits until a has the new balance.
                Assert.Equal(70, await a.GetBalance());
            },
            then: a.GetBalance);

        // One snapshot: the total is whole, before the transfer.
        Assert.Equal((100, 100), seen);
        Assert.Equal(70, await a.GetBalance());
    }

    [Fact]
    public async Task Deactivation_NoSnapshotNeedsOlderVersions_WritesNothing()
    {
        var x = Grains.GetGrain<IRecordGrain>(Keys.New("rec"));
        await x.Put([1]);
        await x.Put([2]);

        // Once x's silo has heard a horizon past both versions, no snapshot can read the older one.
        var now = await _cluster.Client.ServiceProvider.GetRequiredService<ITimestampSource>().NextAsync();
        var timestamps = _cluster.Cluster.GetSiloServiceProvider(SiloOf(x)).GetRequiredService<ITimestampSource>();
        var deadline = DateTime.UtcNow + Prompt;
        while (!timestamps.Horizon.IsUnobservable(0, now))
        {
            Assert.True(DateTime.UtcNow < deadline, $"x's silo never heard a horizon past {now}: {timestamps.Horizon}");
            await Task.Delay(50);
        }

        var writesBefore = WritesOf(x);
        await _cluster.Cluster.DeactivateAsync(x);

        Assert.Equal(writesBefore, WritesOf(x));
    }

    /// <summary>
    /// Reads <paramref name="first"/> in a read-only snapshot; outside it commits a newer version at
    /// <paramref name="grain"/> and moves that grain to another silo; then reads <paramref name="then"/>
    /// in the same snapshot, from the grain's activation on that silo.
    /// </summary>
    private async Task<(T First, T Then)> ReadAcrossMoveAsync<T>(IAddressable grain, Move move, Func<Task<T>> first, Func<Task> newerCommit, Func<Task<T>> then)
    {
        InProcessSiloHandle? victim = null;
        if (move == Move.SiloShutdown)
        {
            // The silo to shut down hosts the grain, and neither the oracle nor the cluster's primary silo.
            var oracle = SiloOf(Grains.GetGrain<ITimestampOracleGrain>(0));
            victim = _cluster.Cluster.Silos.Skip(1).First(silo => !silo.SiloAddress.Equals(oracle));
            if (!SiloOf(grain).Equals(victim.SiloAddress))
            {
                await _cluster.Cluster.MigrateAsync(grain, victim.SiloAddress).WaitAsync(Prompt);
            }
        }

        SiloAddress? from = null;
        var seen = await PausedSnapshot.ReadAsync(_cluster.Transactions, first, between: async () =>
        {
            await newerCommit();
            from = SiloOf(grain);
            var writesBefore = WritesOf(grain);
            if (victim is null)
            {
                var to = _cluster.Cluster.Silos.Select(silo => silo.SiloAddress).First(silo => !silo.Equals(from));
                await _cluster.Cluster.MigrateAsync(grain, to).WaitAsync(Prompt);
            }
            else
            {
                await _cluster.Cluster.StopSiloAsync(victim).WaitAsync(Prompt);
            }

            Assert.True(WritesOf(grain) > writesBefore, "the stopping activation stored nothing");
        }, then);

        Assert.NotEqual(from, SiloOf(grain)); // it did move, and the snapshot's read met the new activation
        return seen;
    }

    private int WritesOf(IAddressable grain)
    {
        var id = grain.GetGrainId().ToString();
        return _store.Batches.Count(keys => keys.Any(key => key.Contains(id, StringComparison.Ordinal)));
    }

    private SiloAddress SiloOf(IAddressable grain) =>
        _cluster.Cluster.TryGetGrainContext(grain.GetGrainId(), out var context)
            ? context.Address.SiloAddress!
            : throw new InvalidOperationException($"{grain.GetGrainId()} is not active.");
}
