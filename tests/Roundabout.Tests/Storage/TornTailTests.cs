using Roundabout.Silo.Persistence.GroupCommit;
using Roundabout.Storage;

namespace Roundabout.Tests.Storage;

/// <summary>
/// A crash during a flush leaves its frame torn at the end of the last segment. Recovery must cut
/// exactly that frame, keep every batch before it whole, and let the store go on writing.
/// </summary>
public sealed class TornTailTests
{
    private const int Batches = 6;

    [Fact]
    public async Task Recover_LastSegmentCutAtEveryOffsetInsideItsLastFrame_KeepsExactlyTheEarlierBatches()
    {
        using var directory = new TempDataDirectory();
        var (models, keys) = await WriteBatchesAsync(directory.Path);
        var segment = Assert.Single(StorageTestKit.Segments(directory.Path));
        var bytes = File.ReadAllBytes(segment);
        var frames = StorageTestKit.ReadFrames(segment);
        Assert.Equal(Batches, frames.Count); // one sequential Strict write per flush, one flush per frame
        var last = frames[^1];
        Assert.Equal(bytes.Length, last.End);

        for (var cut = last.Offset; cut < last.End; cut++)
        {
            var context = $"cut at {cut} (last frame {last.Offset}..{last.End}): ";
            ResetTo(directory.Path, segment, bytes[..(int)cut]);
            var expected = new Dictionary<string, ExpectedRecord>(models[Batches - 1]);

            await using (var store = StorageTestKit.Open(directory.Path))
            {
                await StorageTestKit.AssertHoldsExactlyAsync(store, expected, keys, context);
                Assert.True(last.Offset == new FileInfo(segment).Length, context + "the file is not cut at the frame boundary");

                await WriteAfterRecoveryAsync(store, expected);
            }

            await using (var reopened = StorageTestKit.Open(directory.Path))
            {
                await StorageTestKit.AssertHoldsExactlyAsync(reopened, expected, [.. keys, "after"], context + "after another reopen: ");
            }
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(11)]
    public async Task Recover_PartialHeaderAfterTheLastFrame_IsCutAndEveryBatchKept(int garbageBytes)
    {
        using var directory = new TempDataDirectory();
        var (models, keys) = await WriteBatchesAsync(directory.Path);
        var segment = Assert.Single(StorageTestKit.Segments(directory.Path));
        var length = new FileInfo(segment).Length;
        await AppendAsync(segment, Enumerable.Repeat((byte)0xAB, garbageBytes).ToArray());

        await AssertRecoversEveryBatchAndCutsAsync(directory.Path, segment, length, models[Batches], keys);
    }

    /// <summary>A header whose length runs past the end of the file: the start of a frame whose write was cut short.</summary>
    [Fact]
    public async Task Recover_HeaderClaimingMoreBytesThanTheFileHas_IsCutAndEveryBatchKept()
    {
        using var directory = new TempDataDirectory();
        var (models, keys) = await WriteBatchesAsync(directory.Path);
        var segment = Assert.Single(StorageTestKit.Segments(directory.Path));
        var length = new FileInfo(segment).Length;
        await AppendAsync(segment, [0x00, 0x10, 0x00, 0x00, 1, 1, 0, 0, 0xDE, 0xAD, 0xBE, 0xEF, 1, 2, 3]);

        await AssertRecoversEveryBatchAndCutsAsync(directory.Path, segment, length, models[Batches], keys);
    }

    /// <summary>
    /// A torn append can leave the file longer but the new bytes zero (the size reached the disk,
    /// the data did not), and the log's own preallocated space is zeros too (PreallocationTests).
    /// Either way nothing after the last whole frame was acknowledged, so it is cut.
    /// </summary>
    [Theory]
    [InlineData(12)]
    [InlineData(13)]
    [InlineData(4096)]
    public async Task Recover_ZeroFilledTailAfterTheLastFrame_IsCutAndEveryBatchKept(int zeroBytes)
    {
        using var directory = new TempDataDirectory();
        var (models, keys) = await WriteBatchesAsync(directory.Path);
        var segment = Assert.Single(StorageTestKit.Segments(directory.Path));
        var length = new FileInfo(segment).Length;
        await AppendAsync(segment, new byte[zeroBytes]);

        await AssertRecoversEveryBatchAndCutsAsync(directory.Path, segment, length, models[Batches], keys);
    }

    [Fact]
    public async Task Recover_LastFrameWholeButItsPayloadZeroed_IsCutAndTheEarlierBatchesKept()
    {
        using var directory = new TempDataDirectory();
        var (models, keys) = await WriteBatchesAsync(directory.Path);
        var segment = Assert.Single(StorageTestKit.Segments(directory.Path));
        var last = StorageTestKit.ReadFrames(segment)[^1];
        var bytes = File.ReadAllBytes(segment);
        Array.Clear(bytes, (int)last.Offset + 12, last.TotalBytes - 12);
        File.WriteAllBytes(segment, bytes);

        await AssertRecoversEveryBatchAndCutsAsync(directory.Path, segment, last.Offset, models[Batches - 1], keys);
    }

    /// <summary>Writes <see cref="Batches"/> batches, each a mix of puts, an empty value, a unicode key, an ETag-checked overwrite and a delete.</summary>
    /// <param name="whileOpen">Called with the segment's path after the last batch, before the store is closed.</param>
    /// <returns>The expected state after 0..<see cref="Batches"/> batches, and every key used.</returns>
    internal static async Task<(List<Dictionary<string, ExpectedRecord>> Models, List<string> Keys)> WriteBatchesAsync(string directory, Action<string>? whileOpen = null)
    {
        var model = new Dictionary<string, ExpectedRecord>(StringComparer.Ordinal);
        var models = new List<Dictionary<string, ExpectedRecord>> { new(model) };
        var keys = new List<string> { "shared" };
        await using var store = StorageTestKit.Open(directory);
        for (var b = 1; b <= Batches; b++)
        {
            var writes = new List<RecordWrite>
            {
                RecordWrite.Put($"k{b}-0", StorageTestKit.Utf8($"v{b}-0"), null),
                RecordWrite.Put($"k{b}-1", Array.Empty<byte>(), null),
                RecordWrite.Put($"ключ-{b}", StorageTestKit.Utf8($"значение-{b}"), null),
                RecordWrite.Put("shared", StorageTestKit.Utf8($"shared-{b}"), model.GetValueOrDefault("shared")?.ETag),
            };
            if (b > 1)
            {
                writes.Add(RecordWrite.Delete($"k{b - 1}-0", model[$"k{b - 1}-0"].ETag));
            }

            keys.AddRange(writes.Select(w => w.Key));
            StorageTestKit.Apply(model, writes, await store.WriteAsync(writes));
            models.Add(new(model));
        }

        whileOpen?.Invoke(Assert.Single(StorageTestKit.Segments(directory)));
        return (models, keys.Distinct().ToList());
    }

    private static async Task AssertRecoversEveryBatchAndCutsAsync(string directory, string segment, long cutAt, Dictionary<string, ExpectedRecord> recovered, List<string> keys)
    {
        var expected = new Dictionary<string, ExpectedRecord>(recovered);
        await using (var store = StorageTestKit.Open(directory))
        {
            await StorageTestKit.AssertHoldsExactlyAsync(store, expected, keys);
            Assert.Equal(cutAt, new FileInfo(segment).Length);
            await WriteAfterRecoveryAsync(store, expected);
        }

        await using var reopened = StorageTestKit.Open(directory);
        await StorageTestKit.AssertHoldsExactlyAsync(reopened, expected, [.. keys, "after"]);
    }

    private static async Task WriteAfterRecoveryAsync(GroupCommitRecordStore store, Dictionary<string, ExpectedRecord> expected)
    {
        RecordWrite[] writes =
        [
            RecordWrite.Put("after", StorageTestKit.Utf8("written after recovery"), null),
            RecordWrite.Put("shared", StorageTestKit.Utf8("shared-after"), expected["shared"].ETag),
        ];
        StorageTestKit.Apply(expected, writes, await store.WriteAsync(writes));
    }

    private static void ResetTo(string directory, string segment, byte[] content)
    {
        foreach (var file in Directory.GetFiles(directory))
        {
            File.Delete(file);
        }

        File.WriteAllBytes(segment, content);
    }

    private static async Task AppendAsync(string file, byte[] bytes)
    {
        await using var stream = new FileStream(file, FileMode.Append, FileAccess.Write);
        await stream.WriteAsync(bytes);
    }
}
