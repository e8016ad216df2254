using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Roundabout.Silo.Persistence.GroupCommit;

namespace Roundabout.Tests.Storage;

public sealed class GroupCommitOptionsValidatorTests
{
    public static TheoryData<string, Action<GroupCommitOptions>> InvalidSettings() => new()
    {
        { nameof(GroupCommitOptions.DataDirectory), o => o.DataDirectory = "" },
        { nameof(GroupCommitOptions.DataDirectory), o => o.DataDirectory = "   " },
        { nameof(GroupCommitOptions.Durability), o => o.Durability = (DurabilityMode)42 },
        { nameof(GroupCommitOptions.MaxBatchRequests), o => o.MaxBatchRequests = 0 },
        { nameof(GroupCommitOptions.MaxBatchRequests), o => o.MaxBatchRequests = -1 },
        { nameof(GroupCommitOptions.MaxBatchBytes), o => o.MaxBatchBytes = 4095 },
        { nameof(GroupCommitOptions.MaxWait), o => o.MaxWait = TimeSpan.FromTicks(-1) },
        { nameof(GroupCommitOptions.MaxWait), o => o.MaxWait = TimeSpan.FromSeconds(1) + TimeSpan.FromTicks(1) },
        { nameof(GroupCommitOptions.SegmentBytes), o => o.SegmentBytes = 1024 * 1024 - 1 },
        { nameof(GroupCommitOptions.PreallocateBytes), o => o.PreallocateBytes = -1 },
        { nameof(GroupCommitOptions.PreallocateBytes), o => o.PreallocateBytes = 64 * 1024 * 1024 + 1 },
        { nameof(GroupCommitOptions.CheckpointBytes), o => o.CheckpointBytes = o.SegmentBytes - 1 },
        { nameof(GroupCommitOptions.MaxRecordBytes), o => o.MaxRecordBytes = 0 },
        { nameof(GroupCommitOptions.MaxRecordBytes), o => o.MaxRecordBytes = GroupCommitOptionsValidator.MaxRecordBytesLimit + 1 },
    };

    [Theory]
    [MemberData(nameof(InvalidSettings))]
    public void Validate_OneInvalidSetting_FailsWithAMessageNamingIt(string setting, Action<GroupCommitOptions> breakIt)
    {
        var options = new GroupCommitOptions();
        breakIt(options);

        var result = new GroupCommitOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        var failure = Assert.Single(result.Failures!);
        Assert.StartsWith(setting + " ", failure);
    }

    [Theory]
    [MemberData(nameof(InvalidSettings))]
    public void Constructor_OneInvalidSetting_ThrowsOptionsValidationNamingIt(string setting, Action<GroupCommitOptions> breakIt)
    {
        using var directory = new TempDataDirectory();
        var options = new GroupCommitOptions { DataDirectory = directory.Path };
        breakIt(options);

        var exception = Assert.Throws<OptionsValidationException>(() =>
            new GroupCommitRecordStore(Options.Create(options), NullLogger<GroupCommitRecordStore>.Instance));

        Assert.Contains(setting, exception.Message);
        Assert.Empty(Directory.GetFiles(directory.Path)); // nothing touched
    }

    [Fact]
    public void Validate_DefaultsAndBoundaryValues_Succeed()
    {
        var validator = new GroupCommitOptionsValidator();
        var boundaries = new GroupCommitOptions
        {
            Durability = DurabilityMode.Buffered,
            MaxBatchRequests = 1,
            MaxBatchBytes = 4096,
            MaxWait = TimeSpan.FromSeconds(1),
            SegmentBytes = 1024 * 1024,
            CheckpointBytes = 1024 * 1024,
            MaxRecordBytes = GroupCommitOptionsValidator.MaxRecordBytesLimit,
            PreallocateBytes = 64 * 1024 * 1024,
        };

        Assert.True(validator.Validate(null, new GroupCommitOptions()).Succeeded);
        Assert.True(validator.Validate(null, boundaries).Succeeded);
        Assert.True(validator.Validate(null, new GroupCommitOptions { MaxRecordBytes = 1 }).Succeeded);
        Assert.True(validator.Validate(null, new GroupCommitOptions { PreallocateBytes = 0 }).Succeeded);
    }

    [Fact]
    public void Validate_SeveralInvalidSettings_NamesEachOfThem()
    {
        var options = new GroupCommitOptions { MaxBatchRequests = 0, MaxRecordBytes = 0, DataDirectory = "" };

        var failures = new GroupCommitOptionsValidator().Validate(null, options).Failures!.ToList();

        Assert.Equal(3, failures.Count);
        Assert.Contains(failures, f => f.StartsWith(nameof(GroupCommitOptions.MaxBatchRequests), StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith(nameof(GroupCommitOptions.MaxRecordBytes), StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith(nameof(GroupCommitOptions.DataDirectory), StringComparison.Ordinal));
    }
}
