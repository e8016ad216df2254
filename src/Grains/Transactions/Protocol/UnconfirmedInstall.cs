using System.Diagnostics;
using Orleans.Transactions;

namespace Roundabout.Transactions.Protocol;

/// <summary>
/// A committed transaction whose installs were sent and not all confirmed yet (see
/// <see cref="CommitInstaller"/>): for each written participant, whether its install is confirmed,
/// awaited from a call in flight, or neither (sent one-way, or its call failed), and so due to be
/// sent again as a call once the confirmation time-out has passed.
/// </summary>
/// <remarks>
/// Confirmations come from the participants' activations, answers from calls, and resending from a
/// timer, so every change is made under a lock; exactly one of them settles it: the last
/// confirmation, or giving up after <see cref="CommitInstaller.MaxResends"/> rounds of resending.
/// </remarks>
internal sealed class UnconfirmedInstall
{
    private readonly ParticipantId[] _writers;
    private readonly WriterState[] _states;
    private readonly Lock _lock = new();
    private int _unconfirmed;
    private int _resends;
    private long _since;
    private TimeSpan _wait;
    private bool _settled;

    /// <param name="sentOneWay">Which writers get a one-way install (the others a call, answered).</param>
    /// <param name="sentAt">When the installs are sent, in <see cref="Stopwatch"/> ticks.</param>
    /// <param name="timeout">How long the one-way installs may go unconfirmed before they are sent again as calls.</param>
    public UnconfirmedInstall(long commitTimestamp, RecordedDecision decision, IReadOnlyList<ParticipantId> writers, Func<ParticipantId, bool> sentOneWay, long sentAt, TimeSpan timeout)
    {
        CommitTimestamp = commitTimestamp;
        Decision = decision;
        _writers = [.. writers];
        _states = Array.ConvertAll(_writers, writer => sentOneWay(writer) ? WriterState.Unconfirmed : WriterState.Calling);
        _unconfirmed = _writers.Length;
        _since = sentAt;
        _wait = timeout;
    }

    private enum WriterState
    {
        /// <summary>Sent one-way, or its call failed: sent again (as a call) when due.</summary>
        Unconfirmed,

        /// <summary>A call is in flight; its answer confirms it, or makes it unconfirmed again.</summary>
        Calling,

        Confirmed,
    }

    public long CommitTimestamp { get; }

    public RecordedDecision Decision { get; }

    public IReadOnlyList<ParticipantId> Writers => _writers;

    /// <summary>
    /// Marks the install of <paramref name="grain"/>'s state <paramref name="stateName"/> confirmed;
    /// true if it was the last one, which settles this. A second confirmation, or one for a state
    /// that is not a writer here, changes nothing.
    /// </summary>
    public bool Confirm(GrainId grain, string stateName)
    {
        lock (_lock)
        {
            var index = Array.FindIndex(_writers, writer => writer.Name == stateName && writer.Reference.GetGrainId() == grain);
            return index >= 0 && ConfirmLocked(index);
        }
    }

    /// <summary>The answer to the call to writer <paramref name="index"/>: confirmed if <paramref name="installed"/>; true if that settles this.</summary>
    public bool Answered(int index, bool installed)
    {
        lock (_lock)
        {
            if (installed)
            {
                return ConfirmLocked(index);
            }

            if (_states[index] == WriterState.Calling)
            {
                _states[index] = WriterState.Unconfirmed;
            }

            return false;
        }
    }

    /// <summary>
    /// At <paramref name="now"/> (<see cref="Stopwatch"/> ticks): the writers to call again, each now
    /// marked as called, or none if nothing is due. Each round waits twice as long as the one before;
    /// after <paramref name="maxResends"/> rounds it gives up instead, which settles this.
    /// </summary>
    public IReadOnlyList<int> TakeDue(long now, int maxResends, out bool gaveUp)
    {
        gaveUp = false;
        lock (_lock)
        {
            if (_settled || Stopwatch.GetElapsedTime(_since, now) < _wait)
            {
                return [];
            }

            var due = new List<int>();
            for (var i = 0; i < _states.Length; i++)
            {
                if (_states[i] == WriterState.Unconfirmed)
                {
                    due.Add(i);
                }
            }

            if (due.Count > 0 && _resends == maxResends)
            {
                _settled = gaveUp = true;
                return [];
            }

            // Only the unconfirmed make a round; calls in flight are given the same wait again.
            if (due.Count > 0)
            {
                _resends++;
                _wait *= 2;
                foreach (var index in due)
                {
                    _states[index] = WriterState.Calling;
                }
            }

            _since = now;
            return due;
        }
    }

    private bool ConfirmLocked(int index)
    {
        if (_settled || _states[index] == WriterState.Confirmed)
        {
            return false;
        }

        _states[index] = WriterState.Confirmed;
        _unconfirmed--;
        _settled = _unconfirmed == 0;
        return _settled;
    }
}
