using Roundabout.Silo.Persistence.GroupCommit;
using Roundabout.Storage;
using Roundabout.Tests.Unit;

namespace Roundabout.Tests.Storage;

/// <summary>The embedded log keeps the same record store contract as the other stores.</summary>
public sealed class GroupCommitRecordStoreContractTests : RecordStoreContractTests, IAsyncLifetime
{
    private readonly TempDataDirectory _directory = new();
    private GroupCommitRecordStore _store = null!;

    protected override IRecordStore Store => _store;

    public Task InitializeAsync()
    {
        _store = StorageTestKit.Open(_directory.Path);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        _directory.Dispose();
    }
}
