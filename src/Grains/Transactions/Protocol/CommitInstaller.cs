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
/// Every half <see cref="RoundaboutTransactionOptions.InstallConfirmationTimeout"/> the installer
/// looks for installs unconfirmed for that long, and sends them again as calls whose answers count
/// as confirmations; a call that fails is sent again in the next round. Each round waits twice as
/// long as the one before, and after <see cref="MaxResends"/> rounds the decision record is left
/// for the participants to settle from. Installs are idempotent, so a confirmation that was only
/// slow costs a call, nothing else. The outcome never depends on any of this: a participant that
/// hears nothing settles from the decision record.
/// </para>
/// <para>
/// Sending again stops as soon as the silo starts stopping: its grains are deactivating, and a call
/// to them then could only fail and warn. What is unconfirmed by then settles from the record.
/// </para>
/// </remarks>
internal sealed partial class CommitInstaller(
    CommitDecisions decisions,
    GrainReferences references,
    IOptions<RoundaboutTransactionOptions> options,
    ILogger<CommitInstaller> logger) : IAsyncDisposable
{
    /// <summary>
    /// How many rounds of calls are made for installs that stay unconfirmed before the decision
    /// record is left in place. The waits double: with the default time-out the rounds go 2, 6, 14,
    /// 30 and 62 s after the commit, and the record is left after about two minutes.
    /// </summary>
    internal const int MaxResends = 5;

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
        var unconfirmed = new UnconfirmedInstall(commitTimestamp, decision, writers, confirmsHere, Stopwatch.GetTimestamp(), options.Value.InstallConfirmationTimeout);
        _unconfirmed[transactionId] = unconfirmed;
        for (var i = 0; i < writers.Count; i++)
        {
            if (confirmsHere(writers[i]))
            {
                SendOneWay(transactionId, commitTimestamp, writers[i]);
            }
            else
            {
                _ = CallAsync(transactionId, unconfirmed, i);
            }
        }
    }

    /// <summary>
    /// Called on this silo by <paramref name="grain"/>'s state <paramref name="stateName"/> once its
    /// install of <paramref name="transactionId"/> is accepted. Unknown transactions are ignored (the
    /// coordinator runs on another silo, or gave up waiting).
    /// </summary>
    public void Confirm(Guid transactionId, GrainId grain, string stateName)
    {
        if (_unconfirmed.TryGetValue(transactionId, out var unconfirmed) && unconfirmed.Confirm(grain, stateName))
        {
            Settle(transactionId, unconfirmed);
        }
    }

    /// <summary>Whether installs are being watched and sent again (for tests).</summary>
    internal bool IsResending => Volatile.Read(ref _resender) is { IsCompleted: false };

    public async ValueTask DisposeAsync()
    {
        await StopResendingAsync();
        _stopping.Dispose();
    }

    /// <summary>Ends the loop that sends unconfirmed installs again, and starts none after it (see <see cref="CommitInstallerLifecycle"/>).</summary>
    internal async Task StopResendingAsync()
    {
        Task? resender;
        lock (_lock)
        {
            resender = _resender;
            if (!_stopping.IsCancellationRequested)
            {
                _stopping.Cancel();
            }
        }

        if (resender is not null)
        {
            await resender;
        }
    }

    /// <summary>Every install is confirmed: no one needs the decision any more.</summary>
    private void Settle(Guid transactionId, UnconfirmedInstall unconfirmed)
    {
        _unconfirmed.TryRemove(transactionId, out _);
        decisions.Forget(transactionId, unconfirmed.Decision);
    }

    private void SendOneWay(Guid transactionId, long commitTimestamp, ParticipantId writer)
    {
        try
        {
            _ = references.ExtensionOf(writer).CommitAndConfirm(writer.Name, transactionId, commitTimestamp, decisions.OrderingDomain);
        }
        catch (Exception exception)
        {
            // Not sent: the install goes again, as a call, once the confirmation time-out passes.
            LogInstallNotSent(logger, exception, transactionId, writer.Describe());
        }
    }

    /// <summary>An install whose answer counts as its confirmation; a failed one is sent again when due.</summary>
    private async Task CallAsync(Guid transactionId, UnconfirmedInstall unconfirmed, int index)
    {
        var installed = false;
        try
        {
            installed = await CommitAsync(transactionId, unconfirmed.CommitTimestamp, unconfirmed.Writers[index], sentAgainIfUnanswered: true);
        }
        catch
        {
            // Only a logger that throws gets here (CommitAsync catches the call's failures): nothing
            // to do but not let it become an unobserved exception of this fire-and-forget task.
        }
        finally
        {
            // Whatever went wrong on the way, the writer must not stay marked as called: no
            // answer would ever come to make it due again.
            if (unconfirmed.Answered(index, installed))
            {
                Settle(transactionId, unconfirmed);
            }
        }
    }

    /// <summary>Installs everywhere with calls whose answers are awaited; forgets the decision if every one answered.</summary>
    private async Task InstallAndAwaitAsync(Guid transactionId, long commitTimestamp, List<ParticipantId> writers, RecordedDecision decision)
    {
        var installs = new Task<bool>[writers.Count];
        for (var i = 0; i < installs.Length; i++)
        {
            installs[i] = CommitAsync(transactionId, commitTimestamp, writers[i], sentAgainIfUnanswered: false);
        }

        // Every install is durable, or accepted by the decisions' own store ahead of the removal
        // (see ITransactionParticipantExtension.Commit), so no one needs the decision any more.
        if (Array.TrueForAll(await Task.WhenAll(installs), installed => installed))
        {
            decisions.Forget(transactionId, decision);
        }
    }

    /// <summary>Sends <paramref name="writer"/> its install as a call; whether it answered that the install is accepted.</summary>
    private async Task<bool> CommitAsync(Guid transactionId, long commitTimestamp, ParticipantId writer, bool sentAgainIfUnanswered)
    {
        try
        {
            await references.ExtensionOf(writer).Commit(writer.Name, transactionId, commitTimestamp, decisions.OrderingDomain);
            return true;
        }
        catch (Exception exception)
        {
            // Committed all the same: the participant settles from the decision record, unless the
            // install reaches it first when it is sent again.
            if (sentAgainIfUnanswered)
            {
                LogInstallUnanswered(logger, exception, transactionId, writer.Describe());
            }
            else
            {
                LogInstallFailed(logger, exception, transactionId, writer.Describe());
            }

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

    /// <summary>Sends again, as calls, the installs that have gone unconfirmed too long; looks every half time-out.</summary>
    private async Task ResendLoopAsync()
    {
        var timeout = options.Value.InstallConfirmationTimeout;
        using var timer = new PeriodicTimer(timeout / 2);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token))
            {
                try
                {
                    ResendDue();
                }
                catch (Exception exception)
                {
                    // The loop must go on: without it, every lost install would stay tracked for good.
                    LogResendRoundFailed(logger, exception);
                }
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            // Stopping: the decision records of what is still unconfirmed stay, which is harmless.
        }
    }

    private void ResendDue()
    {
        var now = Stopwatch.GetTimestamp();
        foreach (var (transactionId, unconfirmed) in _unconfirmed)
        {
            var due = unconfirmed.TakeDue(now, MaxResends, out var gaveUp);
            if (gaveUp)
            {
                _unconfirmed.TryRemove(transactionId, out _);
                LogGaveUp(logger, transactionId, MaxResends);
                continue;
            }

            // Every writer taken as due is called before anything else can throw: one left marked
            // as called but never called would wait for an answer for good.
            foreach (var index in due)
            {
                _ = CallAsync(transactionId, unconfirmed, index);
            }

            foreach (var index in due)
            {
                LogResending(logger, transactionId, unconfirmed.Writers[index].Describe());
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Transaction {TransactionId} committed but {Participant} did not confirm; it settles from the decision record")]
    private static partial void LogInstallFailed(ILogger logger, Exception exception, Guid transactionId, string participant);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Transaction {TransactionId}: the install could not be sent to {Participant}; it is sent again later")]
    private static partial void LogInstallNotSent(ILogger logger, Exception exception, Guid transactionId, string participant);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Transaction {TransactionId}: {Participant} did not answer its install; it is sent again")]
    private static partial void LogInstallUnanswered(ILogger logger, Exception exception, Guid transactionId, string participant);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Transaction {TransactionId}: the install of {Participant} went unconfirmed; sending it again and awaiting the answer")]
    private static partial void LogResending(ILogger logger, Guid transactionId, string participant);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Transaction {TransactionId}: installs still unconfirmed after {Rounds} rounds of sending them again; its decision record stays, and the participants settle from it")]
    private static partial void LogGaveUp(ILogger logger, Guid transactionId, int rounds);

    [LoggerMessage(Level = LogLevel.Error, Message = "A round of sending unconfirmed installs again failed")]
    private static partial void LogResendRoundFailed(ILogger logger, Exception exception);
}
