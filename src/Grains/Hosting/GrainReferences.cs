using System.Collections.Concurrent;
using Orleans.GrainReferences;
using Orleans.Metadata;

namespace Roundabout.Hosting;

/// <summary>
/// Makes grain references for the hot paths (a transfer's accounts, the protocol's messages to
/// participants) without Orleans' per-call interface lookup.
/// </summary>
/// <remarks>
/// <c>IGrainFactory.GetGrain&lt;T&gt;</c> and <c>AsReference&lt;T&gt;</c> resolve the interface's
/// <see cref="GrainInterfaceType"/> from its attributes and name on every call; profiles of the bank
/// benchmark put that at about an eighth of all CPU. The resolution depends only on the type (and on
/// the grain classes of this process's cluster), so it is done once per interface here, and each
/// reference is made by Orleans' own <see cref="GrainReferenceActivator"/>, as GetGrain would.
/// </remarks>
internal sealed class GrainReferences(
    GrainReferenceActivator activator,
    GrainInterfaceTypeResolver interfaceTypes,
    GrainInterfaceTypeToGrainTypeResolver grainTypes,
    IGrainContextAccessor contexts)
{
    private readonly ConcurrentDictionary<Type, GrainInterfaceType> _interfaces = new();
    private readonly ConcurrentDictionary<Type, GrainType> _grainTypes = new();

    /// <summary>The grain with a string key, as <c>GetGrain&lt;TGrain&gt;(key)</c> gives it.</summary>
    public TGrain Get<TGrain>(string key)
        where TGrain : IGrainWithStringKey
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(key);
        return Create<TGrain>(IdSpan.Create(key));
    }

    /// <summary>The grain with an integer key, as <c>GetGrain&lt;TGrain&gt;(key)</c> gives it.</summary>
    public TGrain Get<TGrain>(long key)
        where TGrain : IGrainWithIntegerKey =>
        Create<TGrain>(GrainIdKeyExtensions.CreateIntegerKey(key));

    /// <summary>The grain <paramref name="grainId"/> seen through another of its interfaces (an extension's, say), as <c>AsReference</c> gives it.</summary>
    public TInterface Cast<TInterface>(GrainId grainId)
        where TInterface : IAddressable =>
        (TInterface)(object)activator.CreateReference(grainId, InterfaceOf(typeof(TInterface)));

    /// <summary>The activation this code runs on, when it is <paramref name="grainId"/>'s; otherwise null.</summary>
    public IGrainContext? RunningOn(GrainId grainId) =>
        contexts.GrainContext is { } current && current.GrainId == grainId ? current : null;

    private TGrain Create<TGrain>(IdSpan key)
    {
        var grainType = _grainTypes.GetOrAdd(typeof(TGrain), type => grainTypes.GetGrainType(InterfaceOf(type)));
        return (TGrain)(object)activator.CreateReference(GrainId.Create(grainType, key), InterfaceOf(typeof(TGrain)));
    }

    private GrainInterfaceType InterfaceOf(Type type) => _interfaces.GetOrAdd(type, interfaceTypes.GetGrainInterfaceType);
}
