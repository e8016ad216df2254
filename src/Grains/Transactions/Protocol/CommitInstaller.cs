using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Transactions;
using Roundabout.Hosting;

namespace Roundabout.Transactions.Protocol;

/// <summary>
/// Installs the prepared writes of a committed transaction at its participants, and forgets the
/// decision record once every install is durable (or accepted ahead of the record's removal).
/// </summary>
/// <remarks>
/// <para>
/// A participant on another silo gets an install that it answers, as any grain call. A participant
/// on this silo gets a one-way install, and confirms it here, in this process, once the install is
/// accepted: no answer travels back, which saves the answering message and its continuation on the
/// commit's path (about a tenth of a transfer's CPU).
/// </para>
/// <para>
/// A one-way message can be lost (its grain deactivating, say), and then no confirmation comes.
/// Every <see cref="RoundaboutTransactionOptions.InstallConfirmationTimeout"/> the installs that
/// have waited that long are sent again as ordinary calls whose answers are awaited. Installs are
/// idempotent, so a confirmation that was only slow costs one call more, nothing else. Correctness
/// never depends on either: a participant that hears nothing settles from the decision record.
/// </para>
/// </remarks>
internal sealed partial class CommitInstaller(
    CommitDecisions decisions,
    GrainReferences references,
    IOptions<RoundaboutTransactionOptions> options,
    ILogger<CommitInstaller> logger) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<Guid, UnconfirmedInstall> _unconfirmed = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _lock = new();
    private Task? _resender;

    /// <summary>
    /// Names this silo's installer. A part reports it with its vote (<see cref="OneRound.PreparedPart"/>),
    /// and the coordinator sends one-way installs only to parts that reported its own.
    /// </summary>
    public Guid Instance { get; } = Guid.NewGuid();

    /// <summary>
    /// Installs <paramref name="writers"/>, sending one-way installs to those that
    /// <paramref name="confirmsHere"/> says run on this silo. Returns at once; never throws.
    /// </summary>
    public void Install(Guid transactionId, long commitTimestamp, List<ParticipantId> writers, RecordedDecision decision, Func<ParticipantId, bool>? confirmsHere = null)
    {
        if (confirmsHere is null || !writers.Exists(writer => confirmsHere(writer)))
        {
            _ = InstallAndAwaitAsync(transactionId, commitTimestamp, writers, decision);
            return;
        }

        EnsureResending();

        // Tracked before anything is sent, so that no confirmation can come first.
        _unconfirmed[transactionId] = new UnconfirmedInstall(commitTimestamp, decision, writers, Stopwatch.GetTimestamp());
        foreach (var writer in writers)
        {
            if (confirmsHere(writer))
            {
                SendOneWay(transactionId, commitTimestamp, writer);
            }
            else
            {
                _ = InstallElsewhereAsync(transactionId, commitTimestamp, writer);
            }
        }
    }

    /// <summary>
    /// Called on this silo by <paramref name="grain"/>'s state <paramref name="stateName"/> once its
    /// install of <paramref name="transactionId"/> is accepted. Unknown transactions are ignored (the
    /// coordinator runs on another silo, or sent the install again already).
    /// </summary>
    public void Confirm(Guid transactionId, GrainId grain, string stateName)
    {
        if (_unconfirmed.TryGetValue(transactionId, out var unconfirmed) && unconfirmed.Confirm(grain, stateName))
        {
            _unconfirmed.TryRemove(transactionId, out _);
            decisions.Forget(transactionId, unconfirmed.Decision);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Task? resender;
        lock (_lock)
        {
            resender = _resender;
            _stopping.Cancel();
        }

        if (resender is not null)
        {
            await resender;
        }

        _stopping.Dispose();
    }

    private void SendOneWay(Guid transactionId, long commitTimestamp, ParticipantId writer)
    {
        try
        {
            _ = Extension(writer).CommitAndConfirm(writer.Name, transactionId, commitTimestamp, decisions.OrderingDomain);
        }
        catch (Exception exception)
        {
            // Not sent: the install goes again, as a call, once the confirmation time-out passes.
            LogInstallNotSent(logger, exception, transactionId, Describe(writer));
        }
    }

    /// <summary>The install of a participant on another silo, in a transaction that has some on this one.</summary>
    private async Task InstallElsewhereAsync(Guid transactionId, long commitTimestamp, ParticipantId writer)
    {
        if (await CommitAsync(transactionId, commitTimestamp, writer))
        {
            Confirm(transactionId, writer.Reference.GetGrainId(), writer.Name);
        }
    }

    /// <summary>Installs everywhere with calls whose answers are awaited; forgets the decision if every one answered.</summary>
    private async Task InstallAndAwaitAsync(Guid transactionId, long commitTimestamp, IReadOnlyList<ParticipantId> writers, RecordedDecision decision)
    {
        var installs = new Task<bool>[writers.Count];
        for (var i = 0; i < installs.Length; i++)
        {
            installs[i] = CommitAsync(transactionId, commitTimestamp, writers[i]);
        }

        // Every install is durable, or accepted by the decisions' own store ahead of the removal
        // (see ITransactionParticipantExtension.Commit), so no one needs the decision any more.
        if (Array.TrueForAll(await Task.WhenAll(installs), installed => installed))
        {
            decisions.Forget(transactionId, decision);
        }
    }

    private async Task<bool> CommitAsync(Guid transactionId, long commitTimestamp, ParticipantId writer)
    {
        try
        {
            await Extension(writer).Commit(writer.Name, transactionId, commitTimestamp, decisions.OrderingDomain);
            return true;
        }
        catch (Exception exception)
        {
            // Committed all the same: the participant settles from the decision record.
            LogInstallFailed(logger, exception, transactionId, Describe(writer));
            return false;
        }
    }

    private void EnsureResending()
    {
        if (Volatile.Read(ref _resender) is not null)
        {
            return;
        }

        lock (_lock)
        {
            if (_resender is null && !_stopping.IsCancellationRequested)
            {
                _resender = DetachedTask.Run(ResendLoopAsync);
            }
        }
    }

    /// <summary>Sends again, as calls, the installs that have gone unconfirmed for the time-out.</summary>
    private async Task ResendLoopAsync()
    {
        var timeout = options.Value.InstallConfirmationTimeout;
        using var timer = new PeriodicTimer(TimeSpan.FromTicks(Math.Max(timeout.Ticks / 2, TimeSpan.TicksPerMillisecond)));
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token))
            {
                ResendOverdue(timeout);
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            // Stopping: the decision records of what is still unconfirmed stay, which is harmless.
        }
    }

    private void ResendOverdue(TimeSpan timeout)
    {
        foreach (var (transactionId, unconfirmed) in _unconfirmed)
        {
            if (Stopwatch.GetElapsedTime(unconfirmed.SentAt) >= timeout && unconfirmed.GiveUpWaiting() is { } remaining)
            {
                _unconfirmed.TryRemove(transactionId, out _);
                LogResending(logger, transactionId, remaining.Count);
                _ = InstallAndAwaitAsync(transactionId, unconfirmed.CommitTimestamp, remaining, unconfirmed.Decision);
            }
        }
    }

    private ITransactionParticipantExtension Extension(ParticipantId participant) =>
        references.Cast<ITransactionParticipantExtension>(participant.Reference.GetGrainId());

    private static string Describe(ParticipantId participant) => $"{participant.Reference.GetGrainId()}/{participant.Name}";

    [LoggerMessage(Level = LogLevel.Warning, Message = "Transaction {TransactionId} committed but {Participant} did not confirm; it settles from the decision record")]
    private static partial void LogInstallFailed(ILogger logger, Exception exception, Guid transactionId, string participant);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Transaction {TransactionId}: the install could not be sent to {Participant}; it is sent again later")]
    private static partial void LogInstallNotSent(ILogger logger, Exception exception, Guid transactionId, string participant);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Transaction {TransactionId}: {Count} installs went unconfirmed; sending them again and awaiting the answers")]
    private static partial void LogResending(ILogger logger, Guid transactionId, int count);
}
