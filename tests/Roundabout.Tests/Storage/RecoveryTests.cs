using Orleans.Storage;
using Roundabout.Silo.Persistence.GroupCommit;
using Roundabout.Storage;

namespace Roundabout.Tests.Storage;

/// <summary>Whatever was acknowledged is there after a reopen, ETags and all, and the ETag rules go on working.</summary>
public sealed class RecoveryTests
{
    [Fact]
    public async Task Reopen_AcknowledgedWrites_AreAllReturnedWithTheirValuesAndETags()
    {
        using var directory = new TempDataDirectory();
        var model = new Dictionary<string, ExpectedRecord>(StringComparer.Ordinal);
        var keys = new HashSet<string>(StringComparer.Ordinal);
        var random = new Random(7);
        await using (var store = StorageTestKit.Open(directory.Path))
        {
            for (var round = 0; round < 20; round++)
            {
                // Eight concurrent batches on disjoint keys, so that flushes carry several batches.
                var batches = Enumerable.Range(0, 8).Select(writer =>
                {
                    var writes = new List<RecordWrite>();
                    for (var k = 0; k < 4; k++)
                    {
                        var key = $"w{writer}/k{random.Next(6)}";
                        if (writes.Any(w => w.Key == key))
                        {
                            continue;
                        }

                        var etag = model.GetValueOrDefault(key)?.ETag;
                        var value = new byte[random.Next(0, 300)];
                        random.NextBytes(value);
                        writes.Add(etag is not null && random.Next(4) == 0 ? RecordWrite.Delete(key, etag) : RecordWrite.Put(key, value, etag));
                    }

                    return writes;
                }).ToList();

                var results = await Task.WhenAll(batches.Select(b => store.WriteAsync(b)));
                for (var i = 0; i < batches.Count; i++)
                {
                    keys.UnionWith(batches[i].Select(w => w.Key));
                    StorageTestKit.Apply(model, batches[i], results[i]);
                }
            }

            await StorageTestKit.AssertHoldsExactlyAsync(store, model, keys, "before reopen: ");
        }

        await using var reopened = StorageTestKit.Open(directory.Path);
        await StorageTestKit.AssertHoldsExactlyAsync(reopened, model, keys, "after reopen: ");
    }

    [Fact]
    public async Task Reopen_DeletedKeys_StayDeleted()
    {
        using var directory = new TempDataDirectory();
        await using (var store = StorageTestKit.Open(directory.Path))
        {
            var a = await store.WriteAsync(RecordWrite.Put("a", new byte[] { 1 }, null));
            await store.WriteAsync(RecordWrite.Delete("a", a));
            var b = await store.WriteAsync(RecordWrite.Put("b", new byte[] { 2 }, null));
            var b2 = await store.WriteAsync(RecordWrite.Put("b", new byte[] { 3 }, b));
            await store.WriteAsync([RecordWrite.Delete("b", b2), RecordWrite.Put("c", new byte[] { 4 }, null)]);
        }

        await using var reopened = StorageTestKit.Open(directory.Path);
        Assert.Null(await reopened.ReadAsync("a"));
        Assert.Null(await reopened.ReadAsync("b"));
        Assert.Equal([4], (await reopened.ReadAsync("c"))!.Value.ToArray());
        Assert.Equal(1, reopened.Count);
        // A deleted key can be created again, with "must not exist".
        Assert.NotNull(await reopened.WriteAsync(RecordWrite.Put("a", new byte[] { 5 }, null)));
    }

    [Fact]
    public async Task Reopen_StaleETag_ThrowsInconsistentStateAndWritesNothingOfTheBatch()
    {
        using var directory = new TempDataDirectory();
        string? first;
        string? current;
        await using (var store = StorageTestKit.Open(directory.Path))
        {
            first = await store.WriteAsync(RecordWrite.Put("a", new byte[] { 1 }, null));
            current = await store.WriteAsync(RecordWrite.Put("a", new byte[] { 2 }, first));
        }

        await using (var reopened = StorageTestKit.Open(directory.Path))
        {
            Assert.Equal(current, (await reopened.ReadAsync("a"))!.ETag);
            await Assert.ThrowsAsync<InconsistentStateException>(() => reopened.WriteAsync(
                [RecordWrite.Put("b", new byte[] { 9 }, null), RecordWrite.Put("a", new byte[] { 3 }, first)]));
            await Assert.ThrowsAsync<InconsistentStateException>(() => reopened.WriteAsync(
                [RecordWrite.Put("b", new byte[] { 9 }, null), RecordWrite.Put("a", new byte[] { 3 }, null)]));

            Assert.Null(await reopened.ReadAsync("b"));
            Assert.Equal([2], (await reopened.ReadAsync("a"))!.Value.ToArray());
            var next = await reopened.WriteAsync(RecordWrite.Put("a", new byte[] { 4 }, current));
            Assert.NotEqual(first, next);
            Assert.NotEqual(current, next);
            current = next;
        }

        await using var again = StorageTestKit.Open(directory.Path);
        Assert.Null(await again.ReadAsync("b"));
        var record = await again.ReadAsync("a");
        Assert.Equal([4], record!.Value.ToArray());
        Assert.Equal(current, record.ETag);
    }

    /// <summary>An ETag handed out before a restart must never be handed out again for another value (no ABA).</summary>
    [Fact]
    public async Task Reopen_AfterDeletesAtTheEndOfTheLog_NewETagsNeverRepeatEarlierOnes()
    {
        using var directory = new TempDataDirectory();
        var issued = new HashSet<string>();
        await using (var store = StorageTestKit.Open(directory.Path))
        {
            var etag = await store.WriteAsync(RecordWrite.Put("a", new byte[] { 1 }, null));
            issued.Add(etag!);
            var other = await store.WriteAsync(RecordWrite.Put("b", new byte[] { 1 }, null));
            issued.Add(other!);
            await store.WriteAsync(RecordWrite.Delete("a", etag));
            await store.WriteAsync(RecordWrite.Delete("b", other));
        }

        await using var reopened = StorageTestKit.Open(directory.Path);
        var again = await reopened.WriteAsync(RecordWrite.Put("a", new byte[] { 2 }, null));
        Assert.DoesNotContain(again!, issued);
    }

    [Fact]
    public async Task Reopen_BufferedWritesAfterFlushAsyncAndDispose_AreAllRecovered()
    {
        using var directory = new TempDataDirectory();
        var model = new Dictionary<string, ExpectedRecord>(StringComparer.Ordinal);
        static void Buffered(GroupCommitOptions options) => options.Durability = DurabilityMode.Buffered;
        await using (var store = StorageTestKit.Open(directory.Path, configure: Buffered))
        {
            for (var i = 0; i < 500; i++)
            {
                var key = $"k{i % 50}";
                RecordWrite[] writes = i % 7 == 6 && model.ContainsKey(key)
                    ? [RecordWrite.Delete(key, model[key].ETag)]
                    : [RecordWrite.Put(key, StorageTestKit.Utf8($"value {i}"), model.GetValueOrDefault(key)?.ETag), RecordWrite.Put($"once{i}", new byte[] {  }, null)];
                StorageTestKit.Apply(model, writes, await store.WriteAsync(writes));
            }

            await store.FlushAsync();
        }

        await using var reopened = StorageTestKit.Open(directory.Path, configure: Buffered);
        await StorageTestKit.AssertHoldsExactlyAsync(reopened, model, Enumerable.Range(0, 50).Select(i => $"k{i}"));
    }

    [Fact]
    public async Task Reopen_EmptyDirectory_StartsEmptyAndAcceptsWrites()
    {
        using var directory = new TempDataDirectory();
        var path = Path.Combine(directory.Path, "not-yet-created");

        await using (var store = StorageTestKit.Open(path))
        {
            Assert.Equal(0, store.Count);
            await store.WriteAsync(RecordWrite.Put("a", new byte[] { 1 }, null));
        }

        await using var reopened = StorageTestKit.Open(path);
        Assert.Equal([1], (await reopened.ReadAsync("a"))!.Value.ToArray());
    }

    /// <summary>
    /// .NET strings may hold unpaired surrogates (a grain key can). The store must either refuse such
    /// a key or give it back after a restart; it must not accept it and then lose it.
    /// </summary>
    [Fact]
    public async Task Reopen_KeyWithUnpairedSurrogate_IsRejectedOrRecovered()
    {
        using var directory = new TempDataDirectory();
        const string Key = "user/\uD800";
        await using (var store = StorageTestKit.Open(directory.Path))
        {
            try
            {
                await store.WriteAsync(RecordWrite.Put(Key, new byte[] { 1 }, null));
            }
            catch (ArgumentException)
            {
                return; // refused: fine
            }

            Assert.NotNull(await store.ReadAsync(Key));
        }

        await using var reopened = StorageTestKit.Open(directory.Path);
        Assert.Equal([1], (await reopened.ReadAsync(Key))?.Value.ToArray());
    }
}
