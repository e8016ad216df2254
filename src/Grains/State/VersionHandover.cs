namespace Roundabout.State;

/// <summary>
/// Hands one state's older committed versions to its next activation, so that snapshots that
/// began before a deactivation or a migration can still read them: through the silo's
/// <see cref="RetiredVersions"/> when the next activation is on the same silo, and through
/// Orleans' dehydration context when the activation migrates.
/// </summary>
/// <param name="key">The state's record key.</param>
/// <param name="current">
/// The chain and the ETag of the record the activation wrote last, or <c>null</c> when there is nothing
/// to hand over (not loaded, or storage failed). Whether the chain's newest is that record's
/// committed version is checked by <see cref="TakeOver"/>, against the record the next activation loads.
/// </param>
internal sealed class VersionHandover<T>(string key, RetiredVersions retired, Func<(string ETag, VersionChain<T> Chain)?> current) : IGrainMigrationParticipant
{
    private MigratedVersions<T>? _migrated;

    private string ContextKey => $"roundabout.versions/{key}";

    /// <summary>The activation is stopping: the silo keeps the versions for a while.</summary>
    public void Retire()
    {
        if (current() is { } now)
        {
            retired.Retire(key, now.ETag, now.Chain);
        }
    }

    public void OnDehydrate(IDehydrationContext dehydrationContext)
    {
        // Orleans dehydrates after the lifecycle's stop, which has retired the versions to this
        // silo already: the migration carries them now, so the silo's copy would only take memory.
        if (current() is { } now && retired.StillObservable(now.Chain) is { Length: > 1 } versions
            && dehydrationContext.TryAddValue(ContextKey, new MigratedVersions<T>(now.ETag, versions)))
        {
            retired.Forget(key);
        }
    }

    public void OnRehydrate(IRehydrationContext rehydrationContext)
    {
        if (rehydrationContext.TryGetValue<MigratedVersions<T>>(ContextKey, out var migrated))
        {
            _migrated = migrated;
        }
    }

    /// <summary>
    /// The chain to start with, if versions were handed over for the record just loaded (by its
    /// ETag) and their newest is the record's (<paramref name="matchesRecord"/>); otherwise null.
    /// </summary>
    public VersionChain<T>? TakeOver(string etag, Func<CommittedVersion<T>, bool> matchesRecord)
    {
        IReadOnlyList<CommittedVersion<T>>? versions = _migrated is { } migrated && migrated.ETag == etag ? migrated.Versions : null;
        _migrated = null;
        versions ??= retired.TakeOver<T>(key, etag);
        return versions is { Count: > 0 } && matchesRecord(versions[^1]) ? new VersionChain<T>(versions) : null;
    }
}

/// <summary>What a migrating state carries to its next activation: its versions and the record they match.</summary>
[GenerateSerializer]
internal sealed record MigratedVersions<T>([property: Id(0)] string ETag, [property: Id(1)] CommittedVersion<T>[] Versions);
