using System.Runtime.InteropServices;
using Roundabout.Client.Commands;

namespace Roundabout.Client;

/// <summary>
/// Ctrl+C (SIGINT) and SIGTERM cancel the running command instead of ending the process, so that
/// it can stop its silo; which of the two arrived decides the exit code, as shells and process
/// supervisors expect (128 + the signal's number).
/// </summary>
internal sealed class StopSignals : IDisposable
{
    private readonly CancellationTokenSource _cancellation;
    private readonly TaskCompletionSource<PosixSignal> _received = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly PosixSignalRegistration _interrupt;
    private readonly PosixSignalRegistration _terminate;

    /// <param name="hostCancellation">A host's own cancellation (tests): it stops the command as Ctrl+C does.</param>
    public StopSignals(CancellationToken hostCancellation)
    {
        _cancellation = CancellationTokenSource.CreateLinkedTokenSource(hostCancellation);
        _interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        _terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
    }

    /// <summary>Cancelled by either signal or by the host's cancellation.</summary>
    public CancellationToken Token => _cancellation.Token;

    /// <summary>Completes with the first signal that arrived.</summary>
    public Task<PosixSignal> Received => _received.Task;

    /// <summary>The exit code of a command that stopped because it was cancelled.</summary>
    public int CancelledExitCode =>
        Received is { IsCompletedSuccessfully: true, Result: PosixSignal.SIGTERM } ? CommandErrors.Terminated : CommandErrors.Cancelled;

    public void Dispose()
    {
        _interrupt.Dispose();
        _terminate.Dispose();
        _cancellation.Dispose();
    }

    /// <summary>
    /// What a signal does once the system's own handling of it is cancelled. Tests call it instead
    /// of sending a real signal, which would go to the whole test process and every command in it.
    /// </summary>
    internal void Receive(PosixSignal signal)
    {
        _received.TrySetResult(signal);
        try
        {
            _cancellation.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The command had already ended: nothing left to stop.
        }
    }

    private void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true;
        Receive(context.Signal);
    }
}
