using Orleans.Transactions;
using Roundabout.Accounts;
using Roundabout.Silo.Hosting;
using Roundabout.Storage;
using Roundabout.Transactions;

namespace Roundabout.Client.Commands;

/// <summary>
/// Turns the errors a person can fix into one clear line and an exit code; <c>--verbose</c>
/// prints the whole exception instead.
/// </summary>
internal static class CommandErrors
{
    public const int Ok = 0;
    public const int BadInput = 2;
    public const int Refused = 3;
    public const int Conflict = 4;
    public const int InDoubt = 5;
    public const int Unreachable = 6;
    public const int Failed = 1;

    /// <summary>The shell's code for a process stopped by Ctrl+C (128 + SIGINT); also for a host's cancellation.</summary>
    public const int Cancelled = 130;

    /// <summary>The code supervisors (Kubernetes, docker, systemd) expect after SIGTERM (128 + 15).</summary>
    public const int Terminated = 143;

    /// <summary>`--verbose`, for commands that take no connection options (those have their own).</summary>
    public static System.CommandLine.Option<bool> VerboseOption() => new("--verbose") { Description = "Show the full detail of errors" };

    /// <param name="cancellation">The command's token: cancelled on Ctrl+C or SIGTERM (see StopSignals).</param>
    public static async Task<int> RunAsync(bool verbose, CancellationToken cancellation, Func<Task<int>> action)
    {
        try
        {
            return await action();
        }
        catch (Exception exception) when (exception is OperationCanceledException && cancellation.IsCancellationRequested)
        {
            // Stopped by the person (or the system): nothing to explain, but not a success either.
            Console.Error.WriteLine(verbose ? exception.ToString() : "cancelled");
            return Cancelled;
        }
        catch (Exception exception) when (Classify(exception) is var (code, line))
        {
            // One line: argument exceptions put "Actual value was ..." on a second one.
            Console.Error.WriteLine(verbose ? exception.ToString() : $"error: {line.Split('\n')[0].TrimEnd()}");
            return code;
        }
    }

    private static (int Code, string Line) Classify(Exception exception) => exception switch
    {
        UnknownAccountException e => (BadInput, e.Message),
        ArgumentException e => (BadInput, ArgumentMessages.WithoutParameterName(e)),
        InsufficientFundsException e => (Refused, e.Message),
        // The runner gave up after attempts that each certainly aborted (a conflict, a snapshot
        // too old, an unavailable oracle, a Stm.Retry wait): nothing took effect.
        TimeoutException e when e.InnerException is OrleansTransactionTransientFailureException or RetryRequestedException => (Conflict, e.Message),
        OrleansTransactionInDoubtException e => (InDoubt, $"{e.Message}. Check the outcome before retrying (or retry with the same --key).".Replace("..", ".", StringComparison.Ordinal)),
        OrleansTransactionTransientFailureException e => (Conflict, $"{e.Message} Retry."),
        // No answer in time (Orleans' response time-out): a write may still take effect, so the
        // person must check before doing it again, as for an in-doubt transaction.
        TimeoutException e => (InDoubt, $"No answer in time ({FirstLine(e.Message)}). A change may or may not have taken effect: check before retrying (or retry with the same --key)."),
        ClusterUnreachableException e => (Unreachable, e.Message),
        // Nothing was sent: the command could not connect.
        Orleans.Runtime.Messaging.ConnectionFailedException => (Unreachable, $"The cluster stopped answering: {WithoutOrleansRetry(FirstLine(exception.Message))}. Check that its silos run, then retry."),
        // A silo went away, possibly with a call waiting for its answer: no advice to simply retry.
        SiloUnavailableException => (Unreachable, $"The cluster stopped answering: {WithoutOrleansRetry(FirstLine(exception.Message))}."),
        NothingChangedException e => (e.InnerException is TimeoutException or OrleansMessageRejectionException or RecordStoreUnavailableException ? Unreachable : Failed, e.Message),
        // Orleans could not deliver a request or its answer: a silo went away with the call in
        // flight, which may have done its work there.
        OrleansMessageRejectionException e => (InDoubt, $"A silo of the cluster went away during the call ({WithoutOrleansRetry(FirstLine(e.Message))}). A change may or may not have taken effect: check before retrying (or retry with the same --key)."),
        // Before any participant was called (the timestamp oracle's silo was lost, say).
        OrleansStartTransactionFailedException e => (Conflict, $"The transaction could not start ({FirstLine((e.InnerException ?? e).Message)}); nothing took effect. Retry."),
        RecordStoreUnavailableException { NothingWritten: true } e => (Unreachable, $"The cluster's storage is unavailable ({FirstLine(e.Message)}); nothing was written. Retry once it is back."),
        RecordStoreUnavailableException e => (InDoubt, $"The cluster's storage is unavailable ({FirstLine(e.Message)}). A change may or may not have taken effect: check once it is back (or retry with the same --key)."),
        FormatException e => (BadInput, e.Message),
        PortInUseException e => (Failed, e.Message),
        // A data directory that cannot be used (a file, no permission, or held by another process).
        IOException or UnauthorizedAccessException => (Failed, $"{exception.Message} (run with --verbose for the detail)"),
        _ => (Failed, $"{exception.GetType().Name}: {FirstLine(exception.Message)} (run with --verbose for the detail)"),
    };

    /// <summary>
    /// Orleans' "Unable to connect to S..., will retry after 525.034ms" without its last clause: it
    /// is Orleans' own connection back-off, and the command does not retry.
    /// </summary>
    private static string WithoutOrleansRetry(string message) =>
        message.IndexOf(", will retry after ", StringComparison.Ordinal) is var at and >= 0 ? message[..at] + RetryDelayEnd(message, at) : message;

    /// <summary>What follows the clause's "525.034ms", when the clause is quoted in the middle of a longer message.</summary>
    private static string RetryDelayEnd(string message, int clause)
    {
        var end = message.IndexOf("ms", clause, StringComparison.Ordinal);
        return end < 0 ? "" : message[(end + 2)..];
    }

    /// <summary>The first line of a message, without its final full stop: for quoting it inside a sentence.</summary>
    internal static string FirstLine(string message) => message.Split('\n')[0].TrimEnd().TrimEnd('.');
}
