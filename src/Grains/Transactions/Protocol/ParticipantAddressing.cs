using Orleans.Transactions;
using Roundabout.Hosting;

namespace Roundabout.Transactions.Protocol;

/// <summary>How the coordinator and the installer reach a participant, and name it in messages.</summary>
internal static class ParticipantAddressing
{
    /// <summary>The protocol's messages to the grain that holds <paramref name="participant"/>.</summary>
    public static ITransactionParticipantExtension ExtensionOf(this GrainReferences references, ParticipantId participant) =>
        references.Cast<ITransactionParticipantExtension>(participant.Reference.GetGrainId());

    /// <summary>The participant as logs and errors name it: its grain, then its state.</summary>
    public static string Describe(this ParticipantId participant) => $"{participant.Reference.GetGrainId()}/{participant.Name}";
}
