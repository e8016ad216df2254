using Roundabout.Accounts;
using Roundabout.Records;
using Roundabout.Transactions;

namespace Roundabout.Tests.Unit;

public sealed class ValidationTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(Money.MaxAmount)]
    public void ValidateAmount_InRange_DoesNotThrow(long amount)
    {
        Money.ValidateAmount(amount);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(long.MinValue)]
    [InlineData(Money.MaxAmount + 1)]
    [InlineData(long.MaxValue)]
    public void ValidateAmount_OutOfRange_ThrowsNamingTheParameter(long amount)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Money.ValidateAmount(amount, "credit"));
        Assert.Equal("credit", error.ParamName);
        Assert.Equal(amount, error.ActualValue);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData("\t\n")]
    public void ValidateKey_Blank_ThrowsArgumentException(string? key)
    {
        var error = Assert.Throws<ArgumentException>(() => GrainKeys.Validate(key, "from"));
        Assert.Equal("from", error.ParamName);
    }

    [Fact]
    public void ValidateKey_AtLimit_DoesNotThrow()
    {
        GrainKeys.Validate(new string('k', GrainKeys.MaxLength), "key");
        GrainKeys.Validate("a", "key");
    }

    [Fact]
    public void ValidateKey_OverLimit_ThrowsArgumentException()
    {
        var error = Assert.Throws<ArgumentException>(() => GrainKeys.Validate(new string('k', GrainKeys.MaxLength + 1), "key"));
        Assert.Equal("key", error.ParamName);
        Assert.Contains($"at most {GrainKeys.MaxLength} characters", error.Message);
    }

    [Fact]
    public void ValidateValue_Null_ThrowsArgumentNull()
    {
        var error = Assert.Throws<ArgumentNullException>(() => RecordLimits.ValidateValue(null, "payload"));
        Assert.Equal("payload", error.ParamName);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(RecordLimits.MaxValueBytes)]
    public void ValidateValue_WithinLimit_DoesNotThrow(int length)
    {
        RecordLimits.ValidateValue(new byte[length]);
    }

    [Fact]
    public void ValidateValue_OverLimit_ThrowsArgumentException()
    {
        var error = Assert.Throws<ArgumentException>(() => RecordLimits.ValidateValue(new byte[RecordLimits.MaxValueBytes + 1]));
        Assert.Equal("value", error.ParamName);
        Assert.Contains(RecordLimits.MaxValueBytes.ToString(System.Globalization.CultureInfo.InvariantCulture), error.Message);
    }

    [Theory]
    [InlineData(nameof(RoundaboutTransactionOptions.PreparedResolutionTimeout))]
    [InlineData(nameof(RoundaboutTransactionOptions.AbandonedTransactionTimeout))]
    [InlineData(nameof(RoundaboutTransactionOptions.CommitOperationTimeout))]
    [InlineData(nameof(RoundaboutTransactionOptions.InstallConfirmationTimeout))]
    public void TransactionOptions_ATimeoutNotAboveZero_IsRefusedNamingIt(string option)
    {
        var options = new RoundaboutTransactionOptions();
        options.Validate();
        typeof(RoundaboutTransactionOptions).GetProperty(option)!.SetValue(options, TimeSpan.Zero);

        var error = Assert.Throws<ArgumentOutOfRangeException>(options.Validate);

        Assert.Equal(option, error.ParamName);
        Assert.Contains("must be positive", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(nameof(RoundaboutTransactionOptions.PreparedResolutionTimeout))]
    [InlineData(nameof(RoundaboutTransactionOptions.AbandonedTransactionTimeout))]
    [InlineData(nameof(RoundaboutTransactionOptions.CommitOperationTimeout))]
    [InlineData(nameof(RoundaboutTransactionOptions.InstallConfirmationTimeout))]
    public void TransactionOptions_ATimeoutAboveADay_IsRefusedNamingIt(string option)
    {
        var options = new RoundaboutTransactionOptions();
        typeof(RoundaboutTransactionOptions).GetProperty(option)!.SetValue(options, TimeSpan.FromDays(60));

        var error = Assert.Throws<ArgumentOutOfRangeException>(options.Validate);

        Assert.Equal(option, error.ParamName);
        Assert.Contains("must be at most", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TransactionOptions_InstallConfirmationTimeoutBelowItsFloor_IsRefusedNamingIt()
    {
        var options = new RoundaboutTransactionOptions { InstallConfirmationTimeout = TimeSpan.FromMilliseconds(99) };

        var error = Assert.Throws<ArgumentOutOfRangeException>(options.Validate);

        Assert.Equal(nameof(RoundaboutTransactionOptions.InstallConfirmationTimeout), error.ParamName);
        Assert.Contains("at least 100 ms", error.Message, StringComparison.Ordinal);
        options.InstallConfirmationTimeout = RoundaboutTransactionOptions.MinInstallConfirmationTimeout;
        options.Validate();
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(RoundaboutTransactionOptions.MaxRootConflictRetries + 1)]
    public void TransactionOptions_RootConflictRetriesOutOfRange_IsRefusedNamingIt(int retries)
    {
        var options = new RoundaboutTransactionOptions { RootConflictRetries = retries };

        var error = Assert.Throws<ArgumentOutOfRangeException>(options.Validate);

        Assert.Equal(nameof(RoundaboutTransactionOptions.RootConflictRetries), error.ParamName);
    }
}
