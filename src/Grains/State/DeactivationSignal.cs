using System.Diagnostics;
using System.Runtime.CompilerServices;
using Orleans.Runtime.Diagnostics;

namespace Roundabout.State;

/// <summary>
/// Completes when the grain activation it belongs to starts deactivating. A call that waits inside
/// the grain (a read for the outcome of a prepared write, an <c>Stm.Retry</c> watch) stops waiting
/// then.
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
/// <para>
/// Only a deactivation that the activation itself starts is seen in time: idle collection,
/// shedding, a silo's shutdown, a grain's own <c>DeactivateOnIdle</c> or <c>MigrateOnIdle</c>, the
/// runtime's <c>Deactivate</c> or <c>Migrate</c>. One asked for by a grain call from outside
/// (<c>IGrainManagementExtension</c>) is a call like any other, queued behind the waiting call.
/// </para>
/// <para>
/// The callback runs inside Orleans' <c>Deactivate</c>, under the activation's lock, for every
/// grain in the process: it must never throw, and it looks the signal up in a table of its own,
/// not among the grain's components (whose lookup falls back to the activation's services).
/// </para>
/// </remarks>
internal sealed class DeactivationSignal
{
    /// <summary>The signals of the activations that have one; an entry goes with its activation.</summary>
    private static readonly ConditionalWeakTable<IGrainContext, DeactivationSignal> Signals = [];

    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _waiting;

    static DeactivationSignal() => DiagnosticListener.AllListeners.Subscribe(new ListenerWatcher());

    /// <summary>Completes when the activation starts deactivating.</summary>
    public Task Started => _started.Task;

    /// <summary>How many calls are waiting in the activation for something this signal ends (for tests: that a wait has begun).</summary>
    public int Waiting => Volatile.Read(ref _waiting);

    public static DeactivationSignal GetOrCreate(IGrainContext context) => Signals.GetValue(context, static _ => new DeactivationSignal());

    /// <summary>Waits for the first of <paramref name="tasks"/> or for this signal, counted in <see cref="Waiting"/> meanwhile.</summary>
    public async Task<Task> WhenAnyOrStartedAsync(params Task[] tasks)
    {
        Interlocked.Increment(ref _waiting);
        try
        {
            return await Task.WhenAny([.. tasks, Started]);
        }
        finally
        {
            Interlocked.Decrement(ref _waiting);
        }
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
    /// whose continuations run elsewhere, and never throws (see the remarks above).
    /// </summary>
    private sealed class DeactivationWatcher : IObserver<KeyValuePair<string, object?>>
    {
        public void OnNext(KeyValuePair<string, object?> value)
        {
            try
            {
                Complete(value.Value);
            }
            catch
            {
                // Never into Orleans' deactivation. Not even for a payload type that changed: the
                // type is bound in Complete, so such a failure surfaces here, not in the caller.
            }
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        private static void Complete(object? payload)
        {
            if (payload is GrainLifecycleEvents.Deactivating deactivating && Signals.TryGetValue(deactivating.GrainContext, out var signal))
            {
                signal._started.TrySetResult();
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
