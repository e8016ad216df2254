using System.Runtime.ExceptionServices;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Transactions;
using Roundabout.Hosting;
using Roundabout.Transactions.OneRound;
using Roundabout.Transactions.Protocol;
using Roundabout.Transactions.Retries;
using Roundabout.Transactions.Timestamps;

namespace Roundabout.Transactions;

internal sealed partial class RoundaboutTransactions(
    [FromKeyedServices(RetryingTransactionClient.UnwrappedKey)] ITransactionClient transactionClient,
    GrainReferences references,
    ITimestampSource timestamps,
    ActiveSnapshotRegistry snapshots,
    ITransactionResolver resolver,
    IOptions<RoundaboutTransactionOptions> agentOptions,
    ILogger<RoundaboutTransactions> logger) : IRoundaboutTransactions
{
    /// <summary>Orleans' default response time-out, the longest a part call waits: a registration outlives it by twice that.</summary>
    private static readonly TimeSpan OneRoundTimeout = TimeSpan.FromSeconds(30);

    /// <summary>How many times a one-round transaction is tried before its conflict reaches the caller.</summary>
    private const int OneRoundAttempts = 3;

    public async Task<T> RunAsync<T>(Func<Task<T>> body, TransactionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(body);
        T result = default!;
        await RunAsync(async () => { result = await (body() ?? throw NullTaskFromBody()); }, options);
        return result;
    }

    /// <summary>A body that returns no task at all (a non-async lambda that returned null): said as such, not as a NullReferenceException from the await.</summary>
    internal static InvalidOperationException NullTaskFromBody() =>
        new("The transaction's body returned null instead of a Task; return a task (Task.CompletedTask when there is nothing to await).");

    public async Task RunAsync(Func<Task> body, TransactionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(body);
        AmbientTransaction.ThrowIfInTransactionBody(nameof(RunAsync));
        options ??= new TransactionOptions();
        var isolation = IsolationOf(options);

        // Set inside this async method, so the choice does not leak into the caller's flow.
        TransactionRequestScope.Set(new TransactionRequest(isolation, options.ReadOnly));
        RetryRequestedException? retry = null;
        try
        {
            await transactionClient.RunTransaction(TransactionOption.Create, async () =>
            {
                // The choices were for this transaction only, not for transactions that the body starts.
                TransactionRequestScope.Clear();
                try
                {
                    await (body() ?? throw NullTaskFromBody());
                }
                catch (Exception exception) when (IsRetryRequest(exception))
                {
                    retry = CaptureReadSet();
                    throw;
                }
            });
        }
        catch (Exception) when (retry is not null)
        {
            // The attempt aborted (nothing took effect); the caller decides whether to wait and rerun.
            throw retry;
        }
        catch (OrleansTransactionAbortedException aborted) when (ApplicationCause(aborted) is { } cause)
        {
            // The body failed: show the caller its own exception (a domain or argument error),
            // not the generic "transaction aborted" wrapper that Orleans puts around it.
            ExceptionDispatchInfo.Throw(cause);
        }
    }

    public async Task<IReadOnlyList<PreparedPart>> RunOneRoundAsync(Func<OneRoundTicket, IReadOnlyCollection<Task<PreparedPart>>> parts, TransactionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(parts);
        options ??= new TransactionOptions();
        if (options.ReadOnly)
        {
            throw new ArgumentException("A one-round transaction prepares its parts for commit; for a read-only snapshot use RunAsync with ReadOnly.", nameof(options));
        }

        var isolation = IsolationOf(options);

        AmbientTransaction.ThrowIfInOneRoundPart("start another one-round transaction");
        AmbientTransaction.ThrowIfInTransactionBody(nameof(RunOneRoundAsync));

        for (var attempt = 1; ; attempt++)
        {
            var (committed, failure, retryable) = await TryOneRoundAsync(parts, isolation);
            if (committed is not null)
            {
                return committed;
            }

            if (!retryable || attempt == OneRoundAttempts)
            {
                ExceptionDispatchInfo.Throw(failure!);
            }
        }
    }

    /// <summary>
    /// One attempt: a timestamp, the parts, then the decision. Returns the parts if it committed,
    /// otherwise why not and whether a new attempt can help; throws what the decision stage throws
    /// (an in-doubt outcome is never retried).
    /// </summary>
    private async Task<(PreparedPart[]? Committed, Exception? Failure, bool Retryable)> TryOneRoundAsync(Func<OneRoundTicket, IReadOnlyCollection<Task<PreparedPart>>> parts, IsolationLevel isolation)
    {
        var transactionId = Guid.NewGuid();
        long timestamp;
        try
        {
            // Fetched after the transaction began, as a snapshot must be (strictness).
            do
            {
                // The parts read at timestamp - 1, and a snapshot must be positive: the oracle's very first timestamp is skipped.
                timestamp = await timestamps.NextAsync(registerAs: transactionId, registrationTimeout: OneRoundTimeout);
            }
            while (timestamp < 2);
        }
        catch (Exception exception)
        {
            throw new OrleansStartTransactionFailedException(exception);
        }

        try
        {
            var ticket = new OneRoundTicket(transactionId, timestamp, isolation, resolver.DecisionOrdering);
            var calls = parts(ticket)?.ToArray() ?? throw new ArgumentException("The parts callback returned no calls.", nameof(parts));
            for (var i = 0; i < calls.Length; i++)
            {
                // The calls beside it were made and may prepare: a null fails the attempt like a part
                // that threw, so that what the others prepared is released at once.
                calls[i] ??= Task.FromException<PreparedPart>(new ArgumentException($"The parts callback returned null as call {i}: return one grain call per part.", nameof(parts)));
            }

            if (calls.Length == 0)
            {
                throw new ArgumentException("A one-round transaction needs at least one part.", nameof(parts));
            }

            try
            {
                await Task.WhenAll(calls);
            }
            catch
            {
                // Looked at call by call below: the parts that did prepare must be told.
            }

            var prepared = Array.ConvertAll(Array.FindAll(calls, call => call.IsCompletedSuccessfully), call => call.Result);
            var (failure, retryable) = OneRoundFailure(ticket, calls, prepared);
            if (failure is not null)
            {
                // No decision was recorded, so none can be Commit: a part that misses this abort presumes abort when it asks.
                await resolver.AbortPreparedAsync(transactionId, [.. prepared.SelectMany(part => part.Written)]);
                return (null, failure, retryable);
            }

            try
            {
                await resolver.CommitPreparedAsync(ticket, prepared);
            }
            catch (TransactionConflictException decidedAbort)
            {
                // A part's slot waited too long and recorded Abort first: certainly aborted, so try again.
                return (null, decidedAbort, true);
            }

            return (prepared, null, false);
        }
        finally
        {
            snapshots.Unregister(transactionId);
        }
    }

    /// <summary>
    /// Why the attempt cannot commit (a part that threw, a part of another transaction, a grain
    /// with two parts, or a no vote), and whether another attempt at a new timestamp may succeed:
    /// a conflict may, since the timestamp was taken before the parts ran (a grain that activated
    /// since, or a snapshot that read meanwhile, sits above it).
    /// </summary>
    private static (Exception? Failure, bool Retryable) OneRoundFailure(OneRoundTicket ticket, Task<PreparedPart>[] calls, PreparedPart[] prepared)
    {
        if (prepared.Length < calls.Length)
        {
            var thrown = calls.Where(call => !call.IsCompletedSuccessfully).Select(call => call.Exception?.InnerException ?? new TaskCanceledException(call)).ToList();
            // A snapshot that is no longer kept is as much an artefact of the early timestamp as a
            // conflict. Anything else wins over them and is not retried: it says what is really
            // wrong, and a part that did not answer (a time-out) may still prepare later, which a
            // new attempt would only run into.
            var incurable = thrown.Find(exception => exception is not (TransactionConflictException or SnapshotTooOldException));
            return incurable is not null ? (incurable, false) : (thrown[0], true);
        }

        var id = ticket.TransactionId;
        if (Array.Find(prepared, part => part.TransactionId != ticket.TransactionId) is { } foreign)
        {
            return (new InvalidOperationException($"A part answered for transaction {foreign.TransactionId}, not {id}: pass each part the ticket of this transaction."), false);
        }

        if (GrainWithTwoParts(prepared) is { } twice)
        {
            return (new InvalidOperationException($"Grain {twice} ran more than one part of transaction {id}; a one-round transaction calls each grain once."), false);
        }

        if (Array.Find(prepared, part => !part.Vote.IsYes) is { } refused)
        {
            var conflict = new TransactionConflictException(id.ToString(), $"Transaction {id} aborted on conflict: {refused.Vote.Reason ?? $"grain {refused.Grain} refused"}.");
            return (conflict, refused.Vote.Kind is VoteKind.Conflict or VoteKind.Lost);
        }

        return (null, false);
    }

    /// <summary>A grain that answered for two parts, if any.</summary>
    private static GrainId? GrainWithTwoParts(PreparedPart[] prepared)
    {
        var seen = new HashSet<GrainId>();
        return Array.Find(prepared, part => !seen.Add(part.Grain))?.Grain;
    }

    /// <summary>The transaction's isolation level: the options' own, or the agent's default.</summary>
    private IsolationLevel IsolationOf(TransactionOptions options)
    {
        var isolation = options.Isolation ?? agentOptions.Value.DefaultIsolation;
        return Enum.IsDefined(isolation)
            ? isolation
            : throw new ArgumentOutOfRangeException(nameof(options), isolation, $"TransactionOptions.Isolation must be IsolationLevel.Serializable or IsolationLevel.Snapshot (or null for the default); it is {isolation}.");
    }

    public async Task<bool> WaitForChangeAsync(RetryRequestedException retry, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(retry);
        if (timeout == Timeout.InfiniteTimeSpan)
        {
            timeout = TimeSpan.MaxValue; // the grains cap it at theirs
        }

        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeout, TimeSpan.Zero);
        if (retry.ReadSet.Count == 0)
        {
            // It read nothing, so nothing can change what it will see: waiting would be forever.
            throw new InvalidOperationException("Stm.Retry was called by a transaction that read nothing; it would wait forever.");
        }

        var waits = retry.ReadSet.Select(participant => references.Cast<Protocol.ITransactionParticipantExtension>(participant.Reference.GetGrainId())
            .WaitForCommitAfter(participant.Name, retry.ReadTimestamp, timeout)).ToList();
        Exception? firstFailure = null;
        var anyAnswered = false;
        while (waits.Count > 0)
        {
            var finished = await Task.WhenAny(waits);
            waits.Remove(finished);
            if (finished.IsCompletedSuccessfully)
            {
                if (finished.Result)
                {
                    return true;
                }

                anyAnswered = true;
            }
            else
            {
                // One state that cannot be watched (its grain failing, say) must not end the wait
                // for the others; only when none could be watched is the failure the answer.
                var failure = finished.Exception?.InnerException ?? new TaskCanceledException(finished);
                firstFailure ??= failure;
                LogWaitFailed(logger, failure);
            }
        }

        if (!anyAnswered && firstFailure is not null)
        {
            ExceptionDispatchInfo.Throw(firstFailure);
        }

        return false;
    }

    private static bool IsRetryRequest(Exception exception)
    {
        for (Exception? current = exception; current is not null; current = current.InnerException)
        {
            if (current is RetryTransactionException)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Every state the transaction touched so far, and its snapshot, from the root's transaction
    /// info. Transaction committers are left out: they hold no value, so nothing there can change.
    /// </summary>
    private static RetryRequestedException CaptureReadSet()
    {
        var info = TransactionContext.GetRequiredTransactionInfo();
        info.ReconcilePending();
        return new RetryRequestedException([.. info.Participants.Keys.Where(participant => !participant.IsPriorityManager())], TransactionStamp.Of(info).ReadTimestamp);
    }

    /// <summary>
    /// What made the body fail, when Orleans wrapped it in its generic "aborted" exception: an
    /// application exception, or a nested transaction's own outcome (a conflict, or an in-doubt
    /// outcome that must not be reported as a plain abort).
    /// </summary>
    internal static Exception? ApplicationCause(Exception exception)
    {
        var current = exception;
        while (current.GetType() == typeof(OrleansTransactionAbortedException) && current.InnerException is { } inner)
        {
            current = inner;
        }

        return ReferenceEquals(current, exception) ? null : current;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stm.Retry could not watch one of the states the transaction read; it waits on the others")]
    private static partial void LogWaitFailed(ILogger logger, Exception exception);
}
