using Roundabout.Accounts;
using Roundabout.Records;
using Roundabout.State;
using Roundabout.Tests.Infrastructure;
using Roundabout.Transactions;

namespace Roundabout.Tests.Cluster;

/// <summary>
/// A read-only snapshot that began before a grain migrated to another silo, and reads it after a
/// newer version was committed there, still sees its own version: the states carry their older
/// versions in Orleans' migration context (<c>VersionHandover</c>). It used to fail with
/// <see cref="SnapshotTooOldException"/>.
/// </summary>
public sealed class MigrationSnapshotTests : IAsyncLifetime
{
    private static readonly TimeSpan Prompt = TimeSpan.FromSeconds(20);

    private RoundaboutCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await RoundaboutCluster.StartAsync(silos: 2);

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    private IGrainFactory Grains => _cluster.Grains;

    [Fact]
    public async Task Snapshot_RecordMigratedAfterANewerCommit_StillReadsItsVersion()
    {
        var (x, y) = (Grains.GetGrain<IRecordGrain>(Keys.New("rec")), Grains.GetGrain<IRecordGrain>(Keys.New("rec")));
        await x.Put([1]);
        await y.Put([1]);

        var seen = await ReadAcrossMigrationAsync(x, first: async () => (await y.Get()).Value![0], then: async () => (await x.Get()).Value![0], newerCommit: () => x.Put([2]));

        Assert.Equal((1, 1), seen);
        Assert.Equal(2, (await x.Get()).Value![0]);
    }

    [Fact]
    public async Task Snapshot_AccountMigratedAfterANewerCommit_StillReadsItsBalance()
    {
        var (a, b) = (Grains.GetGrain<IAccountGrain>(Keys.New("acct")), Grains.GetGrain<IAccountGrain>(Keys.New("acct")));
        await a.Deposit(100);
        await b.Deposit(100);

        var seen = await ReadAcrossMigrationAsync(a, first: b.GetBalance, then: a.GetBalance, newerCommit: () => Grains.GetGrain<IBankGrain>(0).Transfer(a.GetPrimaryKeyString(), b.GetPrimaryKeyString(), 30));

        Assert.Equal((100, 100), seen);
        Assert.Equal(70, await a.GetBalance());
    }

    /// <summary>
    /// Reads <paramref name="first"/> in a read-only snapshot; outside it commits a newer version at
    /// <paramref name="migrated"/> and moves that grain to the other silo; then reads <paramref name="then"/>
    /// in the same snapshot.
    /// </summary>
    private async Task<(T First, T Then)> ReadAcrossMigrationAsync<T>(IAddressable migrated, Func<Task<T>> first, Func<Task<T>> then, Func<Task> newerCommit)
    {
        SiloAddress? to = null;
        var seen = await PausedSnapshot.ReadAsync(_cluster.Transactions, first, between: async () =>
        {
            await newerCommit();
            var from = SiloOf(migrated);
            to = _cluster.Cluster.Silos.Select(silo => silo.SiloAddress).First(silo => !silo.Equals(from));
            var retiredAtSource = _cluster.Cluster.Silos.First(silo => silo.SiloAddress.Equals(from)).ServiceProvider.GetRequiredService<RetiredVersions>();
            var retiredBefore = retiredAtSource.Count;
            await _cluster.Cluster.MigrateAsync(migrated.GetGrainId(), to).WaitAsync(Prompt);
            Assert.Equal(retiredBefore, retiredAtSource.Count); // carried by the migration, not also left behind
        }, then);

        Assert.Equal(to, SiloOf(migrated)); // it did move, and the snapshot's read met the new activation
        return seen;
    }

    private SiloAddress SiloOf(IAddressable grain) =>
        _cluster.Cluster.TryGetGrainContext(grain.GetGrainId(), out var context)
            ? context.Address.SiloAddress!
            : throw new InvalidOperationException($"{grain.GetGrainId()} is not active.");
}
