using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Transactions;
using Orleans.Transactions.Abstractions;
using Roundabout.Transactions.Protocol;

namespace Roundabout.Transactions.Committers;

/// <summary>
/// Roundabout's implementation of Orleans' <c>[TransactionCommitter]</c> facet
/// (<see cref="ITransactionCommitter{TService}"/>): an operation on an outside service that runs
/// as the last step of a transaction's commit, and whose answer decides it.
/// </summary>
/// <remarks>
/// <para>
/// <see cref="OnCommit"/> is the committer's write: it keeps the operation for the transaction.
/// Prepare votes yes while it still holds it (a committer has no value that could conflict). Once
/// every participant has voted yes, the coordinator records that the transaction is committing
/// (so that no waiting participant presumes abort meanwhile) and asks this committer to run the
/// operation, here, on the grain that took it, with the service its activation resolves. Its
/// answer decides: <c>true</c> commits, <c>false</c> aborts, an exception leaves the operation's
/// effect unknown, so the transaction's own writes are rolled back and the caller hears "in doubt".
/// </para>
/// <para>
/// Nothing here is durable: an activation that is lost before the operation ran takes the
/// operation with it, and the coordinator then finds nothing to run and aborts, which is exactly
/// what happened. The operation receives the transaction id, as in Orleans, so that the service
/// can recognise a repeat.
/// </para>
/// </remarks>
internal sealed partial class RoundaboutTransactionCommitter<TService> : ITransactionCommitter<TService>, ICommitOperationParticipant
    where TService : class
{
    private readonly IGrainContext _context;
    private readonly TService _service;
    private readonly RoundaboutTransactionOptions _options;
    private readonly ILogger _logger;
    private readonly ParticipantId _participantId;
    private readonly string _name;

    /// <summary>Operations of transactions still running (the committer's tentative writes), and how many writes made them.</summary>
    private readonly Dictionary<Guid, HeldOperation> _running = [];

    /// <summary>Operations whose transaction voted yes here and waits for the coordinator to run them.</summary>
    private readonly Dictionary<Guid, HeldOperation> _prepared = [];

    private DateTime _lastSweepUtc = DateTime.UtcNow;

    public RoundaboutTransactionCommitter(
        ITransactionCommitterConfiguration config,
        IGrainContext context,
        IOptions<RoundaboutTransactionOptions> options,
        ILogger<RoundaboutTransactionCommitter<TService>> logger)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(config.ServiceName);
        _name = config.ServiceName;
        _context = context;
        _options = options.Value;
        _logger = logger;

        // Resolved now, so that a service nobody registered fails the activation with DI's own
        // message instead of failing a commit later.
        _service = context.ActivationServices.GetRequiredKeyedService<TService>(config.ServiceName);

        // PriorityManager is Orleans' own mark for a committer: it is how the coordinator tells it
        // apart from the transaction's other written participants.
        _participantId = new ParticipantId(config.ServiceName, context.GrainReference, ParticipantId.Role.Resource | ParticipantId.Role.PriorityManager);
        ParticipantRegistry.GetOrCreate(context).Add(config.ServiceName, this);
    }

    private string Describe => $"{_context.GrainId}/{_name}";

    public Task OnCommit(ITransactionCommitOperation<TService> operation)
    {
        ArgumentNullException.ThrowIfNull(operation);
        if (AmbientTransaction.InOneRoundPart)
        {
            throw new InvalidOperationException(
                $"{Describe}: a transaction committer cannot take part in a one-round transaction, whose parts commit without a last step. Call it from an Orleans transaction or RunAsync.");
        }

        var info = AmbientTransaction.GetRequired();
        if (info.IsReadOnly)
        {
            throw new OrleansReadOnlyViolatedException(info.Id);
        }

        SweepAbandoned();

        // As in Orleans, a second operation in the same transaction replaces the first.
        var writes = _running.TryGetValue(info.TransactionId, out var held) ? held.Writes : 0;
        _running[info.TransactionId] = new HeldOperation(operation, writes + 1, DateTime.UtcNow);
        info.RecordWrite(_participantId, info.TimeStamp);
        return Task.CompletedTask;
    }

    public Task<Vote> Prepare(PrepareRequest request)
    {
        if (!request.Wrote)
        {
            return Task.FromResult(Vote.Yes); // nothing here can be read
        }

        if (!TryTake(request, out var operation, out var refusal))
        {
            return Task.FromResult(refusal);
        }

        _prepared[request.TransactionId] = operation with { SinceUtc = DateTime.UtcNow };
        return Task.FromResult(Vote.Yes);
    }

    /// <summary>The committer is the transaction's only writer: its operation decides at once, with no decision record.</summary>
    public async Task<Vote> PrepareAndCommit(PrepareRequest request)
    {
        if (!TryTake(request, out var operation, out var refusal))
        {
            return refusal;
        }

        CommitOperationAnswer answer;
        try
        {
            // The coordinator's own limit on the operation, as when others write too: after it
            // the caller hears "in doubt" (the operation may still take effect), not only after
            // Orleans' response time-out.
            answer = await RunAsync(request.TransactionId, operation.Operation).WaitAsync(_options.CommitOperationTimeout);
        }
        catch (TimeoutException)
        {
            return new Vote(VoteKind.OperationFailed, $"the commit operation at {Describe} did not answer within {_options.CommitOperationTimeout}");
        }

        return answer.Outcome switch
        {
            CommitOperationOutcome.Committed => Vote.Yes,
            CommitOperationOutcome.Declined => new Vote(VoteKind.Declined, $"the commit operation at {Describe} declined it"),
            _ => new Vote(VoteKind.OperationFailed, $"the commit operation at {Describe} failed ({answer.Failure})"),
        };
    }

    public async Task<CommitOperationAnswer> RunCommitOperation(Guid transactionId) =>
        _prepared.Remove(transactionId, out var operation)
            ? await RunAsync(transactionId, operation.Operation)
            : new CommitOperationAnswer(CommitOperationOutcome.NotHeld);

    /// <summary>The operation already ran (it is what decided Commit): nothing is left to install.</summary>
    public Task Commit(Guid transactionId, long commitTimestamp, Guid? decisionOrdering = null)
    {
        _prepared.Remove(transactionId);
        return Task.CompletedTask;
    }

    public Task Abort(Guid transactionId)
    {
        _running.Remove(transactionId);
        _prepared.Remove(transactionId);
        return Task.CompletedTask;
    }

    public Task<bool> WaitForCommitAfter(long timestamp, TimeSpan timeout) =>
        throw new InvalidOperationException($"{Describe} is a transaction committer: there is nothing there to read, so nothing to wait for.");

    private async Task<CommitOperationAnswer> RunAsync(Guid transactionId, ITransactionCommitOperation<TService> operation)
    {
        try
        {
            var committed = await operation.Commit(transactionId, _service);
            LogOperationRan(_logger, Describe, transactionId, committed);
            return new CommitOperationAnswer(committed ? CommitOperationOutcome.Committed : CommitOperationOutcome.Declined);
        }
        catch (Exception exception)
        {
            LogOperationFailed(_logger, exception, Describe, transactionId);
            return new CommitOperationAnswer(CommitOperationOutcome.Failed, $"{exception.GetType().Name}: {exception.Message}");
        }
    }

    private bool TryTake(PrepareRequest request, out HeldOperation operation, out Vote refusal)
    {
        if (!_running.Remove(request.TransactionId, out operation!))
        {
            refusal = new Vote(VoteKind.Lost, $"{Describe} no longer holds the transaction's commit operation (the grain was reactivated or the transaction was abandoned)");
            return false;
        }

        if (operation.Writes != request.Writes)
        {
            refusal = new Vote(VoteKind.Lost, $"{Describe} holds {operation.Writes} of the transaction's {request.Writes} commit operations (the others were dropped when the grain was reactivated or the transaction looked abandoned)");
            return false;
        }

        refusal = Vote.Yes;
        return true;
    }

    /// <summary>
    /// Drops operations whose transaction went quiet: running ones whose caller is presumed gone,
    /// and prepared ones whose coordinator never came back to run them (it gives up on an operation
    /// after <see cref="RoundaboutTransactionOptions.CommitOperationTimeout"/>, and its decision
    /// record then says abort).
    /// </summary>
    private void SweepAbandoned()
    {
        var now = DateTime.UtcNow;
        if (now - _lastSweepUtc < Roundabout.State.ParticipantTimings.SweepInterval)
        {
            return;
        }

        _lastSweepUtc = now;
        foreach (var (transactionId, held) in _running.ToList())
        {
            if (now - held.SinceUtc > _options.AbandonedTransactionTimeout)
            {
                _running.Remove(transactionId);
            }
        }

        foreach (var (transactionId, held) in _prepared.ToList())
        {
            if (now - held.SinceUtc > _options.AbandonedTransactionTimeout + _options.CommitOperationTimeout)
            {
                _prepared.Remove(transactionId);
            }
        }
    }

    private sealed record HeldOperation(ITransactionCommitOperation<TService> Operation, int Writes, DateTime SinceUtc);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Committer}: the commit operation of transaction {TransactionId} failed; the transaction is rolled back and its caller told it is in doubt")]
    private static partial void LogOperationFailed(ILogger logger, Exception exception, string committer, Guid transactionId);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Committer}: the commit operation of transaction {TransactionId} answered {Committed}")]
    private static partial void LogOperationRan(ILogger logger, string committer, Guid transactionId, bool committed);
}
