using Orleans.Storage;
using Roundabout.Storage;

namespace Roundabout.Tests.Unit;

/// <summary>What every <see cref="IRecordStore"/> promises, run against each store.</summary>
public abstract class RecordStoreContractTests
{
    protected abstract IRecordStore Store { get; }

    /// <summary>A key of this test's own, for stores shared between tests.</summary>
    protected virtual string Key(string name) => name;

    [Fact]
    public async Task Write_NewKeyWithNullETag_StoresAndReturnsETag()
    {
        var etag = await Store.WriteAsync(RecordWrite.Put(Key("a"), new byte[] { 1 }, null));

        var record = await Store.ReadAsync(Key("a"));
        Assert.NotNull(record);
        Assert.Equal(etag, record.ETag);
        Assert.Equal(new byte[] { 1 }, record.Value.ToArray());
    }

    [Fact]
    public async Task Write_ExistingKeyWithNullETag_ThrowsInconsistentState()
    {
        await Store.WriteAsync(RecordWrite.Put(Key("a"), new byte[] { 1 }, null));

        await Assert.ThrowsAsync<InconsistentStateException>(() => Store.WriteAsync(RecordWrite.Put(Key("a"), new byte[] { 2 }, null)));
        Assert.Equal(new byte[] { 1 }, (await Store.ReadAsync(Key("a")))!.Value.ToArray());
    }

    [Fact]
    public async Task Write_StaleETag_ThrowsAndWritesNothingOfTheBatch()
    {
        var etag = await Store.WriteAsync(RecordWrite.Put(Key("a"), new byte[] { 1 }, null));
        await Store.WriteAsync(RecordWrite.Put(Key("a"), new byte[] { 2 }, etag));

        await Assert.ThrowsAsync<InconsistentStateException>(() => Store.WriteAsync(
            [RecordWrite.Put(Key("b"), new byte[] { 9 }, null), RecordWrite.Put(Key("a"), new byte[] { 3 }, etag)]));

        Assert.Null(await Store.ReadAsync(Key("b")));
        Assert.Equal(new byte[] { 2 }, (await Store.ReadAsync(Key("a")))!.Value.ToArray());
    }

    [Fact]
    public async Task Write_BatchWhoseLaterCreateFindsTheKeyTaken_WritesNothingOfIt()
    {
        await Store.WriteAsync(RecordWrite.Put(Key("taken"), new byte[] { 1 }, null));

        await Assert.ThrowsAsync<InconsistentStateException>(() => Store.WriteAsync(
            [RecordWrite.Put(Key("new"), new byte[] { 9 }, null), RecordWrite.Put(Key("taken"), new byte[] { 2 }, null)]));

        Assert.Null(await Store.ReadAsync(Key("new")));
        Assert.Equal(new byte[] { 1 }, (await Store.ReadAsync(Key("taken")))!.Value.ToArray());
    }

    [Fact]
    public async Task Delete_WithCurrentETag_RemovesTheKey()
    {
        var etag = await Store.WriteAsync(RecordWrite.Put(Key("a"), new byte[] { 1 }, null));

        await Store.WriteAsync(RecordWrite.Delete(Key("a"), etag));

        Assert.Null(await Store.ReadAsync(Key("a")));
    }

    [Fact]
    public async Task Write_CopiesTheValue_LaterChangesToTheCallersBufferDoNotLeakIn()
    {
        var buffer = new byte[] { 1, 2, 3 };
        await Store.WriteAsync(RecordWrite.Put(Key("a"), buffer, null));
        buffer[0] = 42;

        Assert.Equal(new byte[] { 1, 2, 3 }, (await Store.ReadAsync(Key("a")))!.Value.ToArray());
    }

    [Fact]
    public async Task Write_AnETagTheStoreNeverGave_ThrowsInconsistentState()
    {
        await Store.WriteAsync(RecordWrite.Put(Key("a"), new byte[] { 1 }, null));

        await Assert.ThrowsAsync<InconsistentStateException>(() => Store.WriteAsync(RecordWrite.Put(Key("a"), new byte[] { 2 }, "not-an-etag")));
        await Assert.ThrowsAsync<InconsistentStateException>(() => Store.WriteAsync(RecordWrite.Put(Key("b"), new byte[] { 2 }, "1")));
        Assert.Equal(new byte[] { 1 }, (await Store.ReadAsync(Key("a")))!.Value.ToArray());
        Assert.Null(await Store.ReadAsync(Key("b")));
    }

    [Fact]
    public async Task ConcurrentCreatesOfOneKey_ExactlyOneWins_AndItsValueIsKept()
    {
        var attempts = await Task.WhenAll(Enumerable.Range(0, 16).Select(async i =>
        {
            try
            {
                return (Value: (byte)i, ETag: await Store.WriteAsync(RecordWrite.Put(Key("a"), new[] { (byte)i }, null)));
            }
            catch (InconsistentStateException)
            {
                return (Value: (byte)i, ETag: (string?)null);
            }
        }));

        var winner = Assert.Single(attempts, attempt => attempt.ETag is not null);
        var stored = await Store.ReadAsync(Key("a"));
        Assert.Equal(winner.ETag, stored!.ETag);
        Assert.Equal(new[] { winner.Value }, stored.Value.ToArray());
    }

    [Fact]
    public async Task ConcurrentBatches_ARefusedOneChangesNothing_AndTheOthersAreWritten()
    {
        var etag = await Store.WriteAsync(RecordWrite.Put(Key("taken"), new byte[] { 1 }, null));

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 32).Select(async i =>
        {
            // Every fourth batch names a stale ETag for "taken" after a write of its own.
            IReadOnlyList<RecordWrite> batch = i % 4 == 0
                ? [RecordWrite.Put(Key($"k{i}"), new[] { (byte)i }, null), RecordWrite.Put(Key("taken"), new byte[] { 2 }, etag + "0")]
                : [RecordWrite.Put(Key($"k{i}"), new[] { (byte)i }, null)];
            try
            {
                await Store.WriteAsync(batch);
                return true;
            }
            catch (InconsistentStateException)
            {
                return false;
            }
        }));

        for (var i = 0; i < outcomes.Length; i++)
        {
            Assert.Equal(i % 4 != 0, outcomes[i]);
            var stored = await Store.ReadAsync(Key($"k{i}"));
            Assert.Equal(i % 4 != 0, stored is not null);
        }

        Assert.Equal(etag, (await Store.ReadAsync(Key("taken")))!.ETag);
    }

    [Fact]
    public async Task Write_EmptyBatch_IsRefusedAsAnArgument()
    {
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.WriteAsync([]));
    }

    [Fact]
    public async Task Write_BatchNamingAKeyTwice_IsRefusedAsAnArgument_AndWritesNothing()
    {
        var etag = await Store.WriteAsync(RecordWrite.Put(Key("twice"), new byte[] { 1 }, null));

        var refused = await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.WriteAsync(
        [
            RecordWrite.Put(Key("other"), new byte[] { 9 }, null),
            RecordWrite.Put(Key("twice"), new byte[] { 2 }, etag),
            RecordWrite.Put(Key("twice"), new byte[] { 3 }, etag),
        ]));

        Assert.Contains("twice", refused.Message, StringComparison.Ordinal);
        Assert.Null(await Store.ReadAsync(Key("other")));
        var kept = await Store.ReadAsync(Key("twice"));
        Assert.Equal(new byte[] { 1 }, kept!.Value.ToArray());
        Assert.Equal(etag, kept.ETag);
    }
}
