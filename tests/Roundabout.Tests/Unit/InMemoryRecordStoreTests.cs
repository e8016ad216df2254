using Roundabout.Silo.Persistence.Memory;
using Roundabout.Storage;

namespace Roundabout.Tests.Unit;

public sealed class InMemoryRecordStoreTests : RecordStoreContractTests
{
    private readonly InMemoryRecordStore _memory = new();

    protected override IRecordStore Store => _memory;

    [Fact]
    public async Task Delete_WithCurrentETag_LeavesNothingCounted()
    {
        var etag = await Store.WriteAsync(RecordWrite.Put("a", new byte[] { 1 }, null));

        await Store.WriteAsync(RecordWrite.Delete("a", etag));

        Assert.Equal(0, _memory.Count);
    }
}
