using Orleans.Storage;
using Roundabout.Silo.Persistence.Memory;
using Roundabout.Storage;

namespace Roundabout.Tests.Unit;

public sealed class InMemoryRecordStoreTests
{
    private readonly InMemoryRecordStore _store = new();

    [Fact]
    public async Task Write_NewKeyWithNullETag_StoresAndReturnsETag()
    {
        var etag = await _store.WriteAsync(RecordWrite.Put("a", new byte[] { 1 }, null));

        var record = await _store.ReadAsync("a");
        Assert.NotNull(record);
        Assert.Equal(etag, record.ETag);
        Assert.Equal(new byte[] { 1 }, record.Value.ToArray());
    }

    [Fact]
    public async Task Write_ExistingKeyWithNullETag_ThrowsInconsistentState()
    {
        await _store.WriteAsync(RecordWrite.Put("a", new byte[] { 1 }, null));

        await Assert.ThrowsAsync<InconsistentStateException>(() => _store.WriteAsync(RecordWrite.Put("a", new byte[] { 2 }, null)));
        Assert.Equal(new byte[] { 1 }, (await _store.ReadAsync("a"))!.Value.ToArray());
    }

    [Fact]
    public async Task Write_StaleETag_ThrowsAndWritesNothingOfTheBatch()
    {
        var etag = await _store.WriteAsync(RecordWrite.Put("a", new byte[] { 1 }, null));
        await _store.WriteAsync(RecordWrite.Put("a", new byte[] { 2 }, etag));

        await Assert.ThrowsAsync<InconsistentStateException>(() => _store.WriteAsync(
            [RecordWrite.Put("b", new byte[] { 9 }, null), RecordWrite.Put("a", new byte[] { 3 }, etag)]));

        Assert.Null(await _store.ReadAsync("b"));
        Assert.Equal(new byte[] { 2 }, (await _store.ReadAsync("a"))!.Value.ToArray());
    }

    [Fact]
    public async Task Delete_WithCurrentETag_RemovesTheKey()
    {
        var etag = await _store.WriteAsync(RecordWrite.Put("a", new byte[] { 1 }, null));

        await _store.WriteAsync(RecordWrite.Delete("a", etag));

        Assert.Null(await _store.ReadAsync("a"));
        Assert.Equal(0, _store.Count);
    }

    [Fact]
    public async Task Write_CopiesTheValue_LaterChangesToTheCallersBufferDoNotLeakIn()
    {
        var buffer = new byte[] { 1, 2, 3 };
        await _store.WriteAsync(RecordWrite.Put("a", buffer, null));
        buffer[0] = 42;

        Assert.Equal(new byte[] { 1, 2, 3 }, (await _store.ReadAsync("a"))!.Value.ToArray());
    }
}
