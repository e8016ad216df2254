using Microsoft.Extensions.Options;

namespace Roundabout.Silo.Persistence.GroupCommit;

/// <summary>The group-commit record store's settings. Every default is documented on its property.</summary>
public sealed class GroupCommitOptions
{
    /// <summary>Where the log lives. Default: <c>./data</c>.</summary>
    public string DataDirectory { get; set; } = "./data";

    /// <summary>When writes are acknowledged. Default: <see cref="DurabilityMode.Strict"/>.</summary>
    public DurabilityMode Durability { get; set; } = DurabilityMode.Strict;

    /// <summary>The most write batches one flush carries. Default: 4,096.</summary>
    public int MaxBatchRequests { get; set; } = 4096;

    /// <summary>The most bytes one flush carries (a single larger batch still goes alone). Default: 8 MiB.</summary>
    public int MaxBatchBytes { get; set; } = 8 * 1024 * 1024;

    /// <summary>
    /// How long a flush waits for more writes to join it. <see cref="TimeSpan.Zero"/> (the
    /// default) is adaptive: a flush starts as soon as the previous one returns, and whatever
    /// arrived meanwhile goes with it, so batches grow exactly as fast as the disk is slow.
    /// </summary>
    public TimeSpan MaxWait { get; set; } = TimeSpan.Zero;

    /// <summary>
    /// One fsync per write instead of per batch: only for measuring what group commit buys. Default: false.
    /// </summary>
    public bool DisableGroupCommit { get; set; }

    /// <summary>A segment file is closed and a new one started past this size. Default: 64 MiB.</summary>
    public long SegmentBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>
    /// How much zero-filled space the segment being written keeps ahead of its last frame. A flush's
    /// fdatasync then finds the file's size and blocks as they were and writes only the data (the
    /// sync after each extension writes the zeros and the new size once): on ext4 here one writer's
    /// syncs went from 2,700-3,400 to 5,300-6,100 a second (docs/benchmarks.md). A segment is cut to
    /// its frames when it is closed; recovery cuts the zeros that a killed process left. On a full
    /// disk the segment stops preallocating rather than fail an append that fits. 0 turns it off:
    /// on copy-on-write file systems (btrfs, ZFS, APFS) every write allocates anyway, so zeros
    /// written ahead only cost. Default: 1 MiB on Linux, where it was measured; 0 elsewhere.
    /// </summary>
    public int PreallocateBytes { get; set; } = OperatingSystem.IsLinux() ? 1024 * 1024 : 0;

    /// <summary>
    /// A checkpoint (a compact copy of every live record) is written once this many bytes were
    /// logged since the last one; the segments it covers are then deleted. Bounds recovery time
    /// and disk use. Default: 128 MiB.
    /// </summary>
    public long CheckpointBytes { get; set; } = 128L * 1024 * 1024;

    /// <summary>The largest value one record may hold (at most 64 MiB). Default: 4 MiB.</summary>
    public int MaxRecordBytes { get; set; } = 4 * 1024 * 1024;
}

/// <summary>Rejects settings that cannot work, with a message that says which and why.</summary>
public sealed class GroupCommitOptionsValidator : IValidateOptions<GroupCommitOptions>
{
    /// <summary>The largest <see cref="GroupCommitOptions.MaxRecordBytes"/>: a batch's 64 MiB, less room for a key and the framing.</summary>
    public const int MaxRecordBytesLimit = 63 * 1024 * 1024;

    public ValidateOptionsResult Validate(string? name, GroupCommitOptions options)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.DataDirectory))
        {
            failures.Add($"{nameof(options.DataDirectory)} must name a directory.");
        }

        if (!Enum.IsDefined(options.Durability))
        {
            failures.Add($"{nameof(options.Durability)} must be Strict or Buffered.");
        }

        if (options.MaxBatchRequests < 1)
        {
            failures.Add($"{nameof(options.MaxBatchRequests)} must be at least 1 (got {options.MaxBatchRequests}).");
        }

        if (options.MaxBatchBytes is < 4096 or > 64 * 1024 * 1024)
        {
            failures.Add($"{nameof(options.MaxBatchBytes)} must be between 4096 and 64 MiB (got {options.MaxBatchBytes}).");
        }

        if (options.MaxWait < TimeSpan.Zero || options.MaxWait > TimeSpan.FromSeconds(1))
        {
            failures.Add($"{nameof(options.MaxWait)} must be between 0 and 1 second (got {options.MaxWait}).");
        }

        if (options.SegmentBytes < 1024 * 1024)
        {
            failures.Add($"{nameof(options.SegmentBytes)} must be at least 1 MiB (got {options.SegmentBytes}).");
        }

        if (options.PreallocateBytes is < 0 or > 64 * 1024 * 1024)
        {
            failures.Add($"{nameof(options.PreallocateBytes)} must be between 0 (off) and 64 MiB (got {options.PreallocateBytes}).");
        }

        if (options.CheckpointBytes < options.SegmentBytes)
        {
            failures.Add($"{nameof(options.CheckpointBytes)} must be at least {nameof(options.SegmentBytes)} (got {options.CheckpointBytes}).");
        }

        // A record travels in a batch with its key and framing, and a batch is at most 64 MiB.
        if (options.MaxRecordBytes is < 1 or > MaxRecordBytesLimit)
        {
            failures.Add($"{nameof(options.MaxRecordBytes)} must be between 1 and 63 MiB (got {options.MaxRecordBytes}).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
