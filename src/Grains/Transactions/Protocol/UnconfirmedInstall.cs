using System.Diagnostics;
using Orleans.Transactions;

namespace Roundabout.Transactions.Protocol;

/// <summary>
/// A committed transaction whose installs were sent and not all confirmed yet (see
/// <see cref="CommitInstaller"/>). Confirmations come from the participants' activations and the
/// resending from a timer, so every change is made under a lock, and exactly one of them settles
/// it: the last confirmation, or giving up waiting.
/// </summary>
internal sealed class UnconfirmedInstall(long commitTimestamp, RecordedDecision decision, List<ParticipantId> writers, long sentAt)
{
    private readonly List<ParticipantId> _remaining = [.. writers];
    private bool _settled;

    public long CommitTimestamp => commitTimestamp;

    public RecordedDecision Decision => decision;

    /// <summary>When the installs were sent, in <see cref="Stopwatch"/> ticks.</summary>
    public long SentAt => sentAt;

    /// <summary>Marks one participant's install confirmed; true if it was the last, and so settles this.</summary>
    public bool Confirm(GrainId grain, string stateName)
    {
        lock (_remaining)
        {
            if (_settled)
            {
                return false;
            }

            var index = _remaining.FindIndex(writer => writer.Name == stateName && writer.Reference.GetGrainId() == grain);
            if (index < 0)
            {
                return false; // confirmed twice, or not one of the writers
            }

            _remaining.RemoveAt(index);
            _settled = _remaining.Count == 0;
            return _settled;
        }
    }

    /// <summary>Settles this without the confirmations still missing: returns their writers, or null if it was settled already.</summary>
    public List<ParticipantId>? GiveUpWaiting()
    {
        lock (_remaining)
        {
            if (_settled)
            {
                return null;
            }

            _settled = true;
            return [.. _remaining];
        }
    }
}
