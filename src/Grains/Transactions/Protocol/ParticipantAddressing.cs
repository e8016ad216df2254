using Orleans.Transactions;
using Roundabout.Hosting;

namespace Roundabout.Transactions.Protocol;

/// <summary>How the coordinator and the installer reach a participant, and name it in messages.</summary>
internal static class ParticipantAddressing
{
    /// <summary>The protocol's messages to the grain that holds <paramref name="participant"/>.</summary>
    /// <remarks>
    /// A grain that resolves a transaction it started itself (a <c>[Transaction(CreateOrJoin)]</c>
    /// method called without one) is its own participant, and is called in place, not by message:
    /// if the grain began to deactivate meanwhile (a silo's graceful shutdown, a migration), a
    /// message to itself would wait behind the deactivation, which waits for the request that
    /// waits for the message, and every call to the grain, read-only snapshots too, stalled for
    /// Orleans' 30 s response time-out. The extension's methods interleave anyway.
    /// </remarks>
    public static ITransactionParticipantExtension ExtensionOf(this GrainReferences references, ParticipantId participant)
    {
        var grainId = participant.Reference.GetGrainId();
        return references.RunningOn(grainId) is IGrainExtensionBinder self
            ? self.GetExtension<ITransactionParticipantExtension>()
            : references.Cast<ITransactionParticipantExtension>(grainId);
    }

    /// <summary>The participant as logs and errors name it: its grain, then its state.</summary>
    public static string Describe(this ParticipantId participant) => $"{participant.Reference.GetGrainId()}/{participant.Name}";
}
