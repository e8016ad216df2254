using System.Buffers.Binary;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Roundabout.Silo.Persistence.FileLog;
using Roundabout.Silo.Persistence.GroupCommit;
using Roundabout.Storage;

namespace Roundabout.Tests.Storage;

/// <summary>One frame as it lies in a log file, parsed independently of the code under test.</summary>
internal sealed record FileFrame(long Offset, int TotalBytes, byte Kind, byte[] Payload)
{
    public long End => Offset + TotalBytes;
}

/// <summary>What a test expects of one key: its value and ETag.</summary>
internal sealed record ExpectedRecord(byte[] Value, string ETag);

/// <summary>Opening stores, reading log files and comparing a store with what it must hold.</summary>
internal static class StorageTestKit
{
    public static GroupCommitRecordStore Open(string directory, ILogFileSystem? files = null, Action<GroupCommitOptions>? configure = null, StorageMetrics? metrics = null)
    {
        var options = new GroupCommitOptions { DataDirectory = directory };
        configure?.Invoke(options);
        return new GroupCommitRecordStore(Options.Create(options), NullLogger<GroupCommitRecordStore>.Instance, files, metrics);
    }

    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    public static string[] Segments(string directory) =>
        [.. Directory.GetFiles(directory, "segment-*.log").Order(StringComparer.Ordinal)];

    public static string[] Checkpoints(string directory) =>
        [.. Directory.GetFiles(directory, "checkpoint-*.ckpt").Order(StringComparer.Ordinal)];

    /// <summary>The sequence number in a <c>segment-{lsn:D20}.log</c> or <c>checkpoint-{lsn:D20}.ckpt</c> name.</summary>
    public static long LsnOf(string file)
    {
        var name = Path.GetFileNameWithoutExtension(file);
        return long.Parse(name[(name.IndexOf('-') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The whole frames of a file, by the documented layout; stops at the first that does not fit.</summary>
    public static List<FileFrame> ReadFrames(string file)
    {
        var bytes = File.ReadAllBytes(file);
        var frames = new List<FileFrame>();
        var offset = 0;
        while (offset + LogFrame.HeaderBytes <= bytes.Length)
        {
            var length = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(offset));
            if (length > bytes.Length - offset - LogFrame.HeaderBytes)
            {
                break;
            }

            var total = LogFrame.HeaderBytes + (int)length;
            frames.Add(new FileFrame(offset, total, bytes[offset + 5], bytes.AsSpan(offset + LogFrame.HeaderBytes, (int)length).ToArray()));
            offset += total;
        }

        return frames;
    }

    /// <summary>Flips every bit of one byte of a file.</summary>
    public static void FlipByte(string file, long offset)
    {
        var bytes = File.ReadAllBytes(file);
        bytes[offset] ^= 0xFF;
        File.WriteAllBytes(file, bytes);
    }

    /// <summary>Applies an acknowledged batch to a model of the store.</summary>
    public static void Apply(Dictionary<string, ExpectedRecord> model, IReadOnlyList<RecordWrite> writes, IReadOnlyList<string?> etags)
    {
        for (var i = 0; i < writes.Count; i++)
        {
            if (writes[i].Value is { } value)
            {
                model[writes[i].Key] = new ExpectedRecord(value.ToArray(), etags[i]!);
            }
            else
            {
                model.Remove(writes[i].Key);
            }
        }
    }

    /// <summary>
    /// Asserts that the store holds exactly <paramref name="expected"/>: every expected key with its
    /// value and ETag, nothing else among <paramref name="allKeys"/>, and no other live record.
    /// </summary>
    public static async Task AssertHoldsExactlyAsync(IRecordStore store, IReadOnlyDictionary<string, ExpectedRecord> expected, IEnumerable<string> allKeys, string context = "")
    {
        foreach (var key in allKeys.Concat(expected.Keys).Distinct(StringComparer.Ordinal))
        {
            var record = await store.ReadAsync(key);
            if (expected.TryGetValue(key, out var want))
            {
                if (record is null)
                {
                    throw new Xunit.Sdk.XunitException($"{context}'{key}' is missing; expected ETag {want.ETag}.");
                }

                if (!record.Value.Span.SequenceEqual(want.Value) || record.ETag != want.ETag)
                {
                    throw new Xunit.Sdk.XunitException($"{context}'{key}' holds ETag {record.ETag} ({record.Value.Length} bytes); expected ETag {want.ETag} ({want.Value.Length} bytes).");
                }
            }
            else if (record is not null)
            {
                throw new Xunit.Sdk.XunitException($"{context}'{key}' holds ETag {record.ETag} but must not exist.");
            }
        }

        if (store is GroupCommitRecordStore groupCommit && groupCommit.Count != expected.Count)
        {
            throw new Xunit.Sdk.XunitException($"{context}the store holds {groupCommit.Count} records; expected {expected.Count}.");
        }
    }
}
