using System.Diagnostics;
using Orleans.Runtime.Diagnostics;

namespace Roundabout.State;

/// <summary>
/// Completes when the grain activation it belongs to starts deactivating; kept as a grain context
/// component. A call that waits inside the grain (a read for the outcome of a prepared write, an
/// <c>Stm.Retry</c> watch) stops waiting then.
/// </summary>
/// <remarks>
/// <para>
/// Why: a deactivating activation finishes the calls it is running before it goes, and runs none
/// of the calls queued for it (not even <c>[AlwaysInterleave]</c> ones) until then; they go to its
/// next activation. A running read that waits for a prepared write whose transaction waits, through
/// a sibling part elsewhere, for one of those queued calls is a cycle that only the prepared
/// write's resolution time-out used to break: seconds of stall (docs/protocol.md, "Waiting").
/// </para>
/// <para>
/// How: Orleans tells nothing in the grain that a deactivation is waiting, but it raises a
/// diagnostic event (<see cref="GrainLifecycleEvents"/>) as the deactivation starts, synchronously.
/// One process-wide subscription completes the signal of the activation the event names. Those
/// event types are public, and Orleans marks them as liable to change between minor versions: if
/// they go, this signal never fires and waits end by their time-outs, as before.
/// </para>
/// </remarks>
internal sealed class DeactivationSignal
{
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);

    static DeactivationSignal() => DiagnosticListener.AllListeners.Subscribe(new ListenerWatcher());

    /// <summary>Completes when the activation starts deactivating.</summary>
    public Task Started => _started.Task;

    public static DeactivationSignal GetOrCreate(IGrainContext context)
    {
        var signal = context.GetComponent<DeactivationSignal>();
        if (signal is null)
        {
            signal = new DeactivationSignal();
            context.SetComponent(signal);
        }

        return signal;
    }

    /// <summary>Finds Orleans' grain lifecycle listener among every diagnostic listener the process creates.</summary>
    private sealed class ListenerWatcher : IObserver<DiagnosticListener>
    {
        public void OnNext(DiagnosticListener listener)
        {
            if (listener.Name == GrainLifecycleEvents.ListenerName)
            {
                listener.Subscribe(new DeactivationWatcher(), static name => name == nameof(GrainLifecycleEvents.Deactivating));
            }
        }

        public void OnCompleted()
        {
        }

        public void OnError(Exception error)
        {
        }
    }

    /// <summary>
    /// Runs inside Orleans' deactivation, under the activation's lock: it only completes a task,
    /// whose continuations run elsewhere.
    /// </summary>
    private sealed class DeactivationWatcher : IObserver<KeyValuePair<string, object?>>
    {
        public void OnNext(KeyValuePair<string, object?> value)
        {
            if (value.Value is GrainLifecycleEvents.Deactivating deactivating)
            {
                deactivating.GrainContext.GetComponent<DeactivationSignal>()?._started.TrySetResult();
            }
        }

        public void OnCompleted()
        {
        }

        public void OnError(Exception error)
        {
        }
    }
}
