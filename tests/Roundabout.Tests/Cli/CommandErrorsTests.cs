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
        // A silo that went away with the call (kill -9 of a silo during `bank transfer`): it may have done its work.
        { Rejection("Exception while sending message: Orleans.Runtime.Messaging.ConnectionFailedException: Unable to connect to S192.0.2.2:11112:154958588, will retry after 778.3197ms"), CommandErrors.InDoubt },
        { new OrleansStartTransactionFailedException(Rejection("silo gone")), CommandErrors.Conflict },
        { new Roundabout.Storage.RecordStoreUnavailableException("PostgreSQL failed (NpgsqlException): Exception while reading from stream"), CommandErrors.InDoubt },
        { new Roundabout.Storage.RecordStoreUnavailableException("PostgreSQL failed (NpgsqlException): Failed to connect", nothingWritten: true), CommandErrors.Unreachable },
        { new NothingChangedException("Checking that the accounts are open", new TimeoutException("Response did not arrive on time")), CommandErrors.Unreachable },
        // A message of several lines: the line keeps its advice, not only the message's first line.
        { new InvalidOperationException("first line\nsecond line"), CommandErrors.Failed },
    };

    /// <summary>What each new case says: what happened, and what the person can do about it.</summary>
    [Theory]
    [InlineData(typeof(OrleansMessageRejectionException), "A silo of the cluster went away during the call (Exception while sending message: x). A change may or may not have taken effect: check before retrying (or retry with the same --key).")]
    [InlineData(typeof(OrleansStartTransactionFailedException), "The transaction could not start (Exception while sending message: x); nothing took effect. Retry.")]
    [InlineData(typeof(NothingChangedException), "Checking that the accounts are open failed (Exception while sending message: x); nothing was changed. Retry.")]
    [InlineData(typeof(InvalidOperationException), "InvalidOperationException: Exception while sending message: x (run with --verbose for the detail)")]
    public async Task RunAsync_ErrorOfSeveralLines_OneLineThatSaysWhatToDo(Type type, string expected)
    {
        const string Message = "Exception while sending message: x.\nat Orleans.Runtime ...";
        Exception error = type == typeof(OrleansMessageRejectionException) ? Rejection(Message)
            : type == typeof(OrleansStartTransactionFailedException) ? new OrleansStartTransactionFailedException(Rejection(Message))
            : type == typeof(NothingChangedException) ? new NothingChangedException("Checking that the accounts are open", Rejection(Message))
            : new InvalidOperationException(Message);

        var (_, _, written) = await CliRunner.CaptureAsync(
            () => CommandErrors.RunAsync(verbose: false, CancellationToken.None, () => Task.FromException<int>(error)));

        Assert.Equal($"error: {expected}", written.Trim());
    }

    /// <summary>Orleans makes its rejections itself (the constructor is internal); the command only sees them.</summary>
    private static OrleansMessageRejectionException Rejection(string message) =>
        (OrleansMessageRejectionException)Activator.CreateInstance(typeof(OrleansMessageRejectionException), System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic, null, [message], null)!;

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

    /// <summary>
    /// Orleans' own back-off ("will retry after ...") is not quoted: the command does not retry. Only
    /// a connection that failed (nothing sent) is advised to retry; a silo that went away may have
    /// done the call's work.
    /// </summary>
    [Theory]
    [MemberData(nameof(LostClusters))]
    public async Task RunAsync_ClusterLost_OneLineWithoutOrleansRetryClause(Exception error, int expectedCode, string expected)
    {
        var (code, _, written) = await CliRunner.CaptureAsync(
            () => CommandErrors.RunAsync(verbose: false, CancellationToken.None, () => Task.FromException<int>(error)));

        Assert.Equal(expectedCode, code);
        Assert.Equal($"error: {expected}", written.Trim());
    }

    public static TheoryData<Exception, int, string> LostClusters() => new()
    {
        {
            new Orleans.Runtime.Messaging.ConnectionFailedException("Unable to connect to S127.0.0.1:30060:0, will retry after 525.034ms"),
            CommandErrors.Unreachable,
            "The cluster stopped answering: Unable to connect to S127.0.0.1:30060:0. Check that its silos run, then retry."
        },
        {
            new SiloUnavailableException("The target silo became unavailable for message: Request x"),
            CommandErrors.Unreachable,
            "The cluster stopped answering: The target silo became unavailable for message: Request x."
        },
        {
            Rejection("Exception while sending message: Orleans.Runtime.Messaging.ConnectionFailedException: Unable to connect to S192.0.2.2:11112:154958588, will retry after 778.3197ms"),
            CommandErrors.InDoubt,
            "A silo of the cluster went away during the call (Exception while sending message: Orleans.Runtime.Messaging.ConnectionFailedException: Unable to connect to S192.0.2.2:11112:154958588). A change may or may not have taken effect: check before retrying (or retry with the same --key)."
        },
    };

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
