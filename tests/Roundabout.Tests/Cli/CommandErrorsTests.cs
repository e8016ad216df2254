using Orleans.Transactions;
using Roundabout.Client.Commands;
using Roundabout.Transactions;

namespace Roundabout.Tests.Cli;

/// <summary>How the command turns an error into its exit code and one line.</summary>
public sealed class CommandErrorsTests
{
    public static TheoryData<Exception, int> Errors() => new()
    {
        // No answer: a transfer may still commit, so it must not look like an ordinary failure.
        { new TimeoutException("Response did not arrive on time in 00:00:30 for message: Request ..."), CommandErrors.InDoubt },
        { new OrleansTransactionInDoubtException("tx", new IOException("the commit decision could not be recorded")), CommandErrors.InDoubt },
        { new TimeoutException("did not commit", new TransactionConflictException("tx", "conflict")), CommandErrors.Conflict },
        { new TimeoutException("did not commit", new SnapshotTooOldException("tx", "too old")), CommandErrors.Conflict },
        { new TimeoutException("did not commit", new OrleansTransactionTransientFailureException("tx", "no oracle")), CommandErrors.Conflict },
        { new TimeoutException("nothing changed", new RetryRequestedException([], 5)), CommandErrors.Conflict },
        { new ArgumentException("The amount must be positive."), CommandErrors.BadInput },
        { new Orleans.Runtime.Messaging.ConnectionFailedException("Unable to connect to S127.0.0.1:30060:0, will retry after 57.4049ms"), CommandErrors.Unreachable },
        { new InvalidOperationException("something else"), CommandErrors.Failed },
    };

    [Theory]
    [MemberData(nameof(Errors))]
    public async Task RunAsync_Error_ItsExitCodeAndOneLine(Exception error, int expectedCode)
    {
        var (code, _, written) = await CliRunner.CaptureAsync(
            () => CommandErrors.RunAsync(verbose: false, CancellationToken.None, () => Task.FromException<int>(error)));

        Assert.Equal(expectedCode, code);
        var line = Assert.Single(written.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: ", line, StringComparison.Ordinal);
    }

    /// <summary>What the library still refuses is said without .NET's parameter name.</summary>
    [Fact]
    public async Task RunAsync_ArgumentException_WithoutTheParameterName()
    {
        var (code, _, written) = await CliRunner.CaptureAsync(
            () => CommandErrors.RunAsync(verbose: false, CancellationToken.None, () => Task.FromException<int>(new ArgumentOutOfRangeException("expectedVersion", -1L, "The version must not be negative."))));

        Assert.Equal(CommandErrors.BadInput, code);
        Assert.Equal("error: The version must not be negative.", written.Trim());
    }

    /// <summary>One that came from a silo keeps the suffix in its message but has lost its ParamName.</summary>
    [Fact]
    public void WithoutParameterName_SuffixWithoutAParamName_IsRemovedToo()
    {
        var crossed = new ArgumentException("Key 'k' was used for another transfer; use a new key for a different transfer. (Parameter 'idempotencyKey')");

        Assert.Null(crossed.ParamName);
        Assert.Equal("Key 'k' was used for another transfer; use a new key for a different transfer.", Roundabout.Silo.Hosting.ArgumentMessages.WithoutParameterName(crossed));
    }
}
