namespace Roundabout.Transactions.Protocol;

/// <summary>The transactional states of one grain activation, by name; kept as a grain context component.</summary>
internal sealed class ParticipantRegistry
{
    private readonly Dictionary<string, ITransactionParticipant> _participants = new(StringComparer.Ordinal);

    public static ParticipantRegistry GetOrCreate(IGrainContext context)
    {
        var registry = context.GetComponent<ParticipantRegistry>();
        if (registry is null)
        {
            registry = new ParticipantRegistry();
            context.SetComponent(registry);
        }

        return registry;
    }

    public void Add(string name, ITransactionParticipant participant)
    {
        if (!_participants.TryAdd(name, participant))
        {
            throw new InvalidOperationException($"The grain declares two transactional states named '{name}'. Give each [TransactionalState] its own name.");
        }
    }

    public ITransactionParticipant Get(string name, GrainId grainId) =>
        _participants.TryGetValue(name, out var participant)
            ? participant
            : throw new InvalidOperationException($"Grain {grainId} has no transactional state named '{name}'.");
}
