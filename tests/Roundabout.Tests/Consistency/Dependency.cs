namespace Roundabout.Tests.Consistency;

/// <summary>Adya's dependencies, plus the order in which the client saw transactions finish and begin.</summary>
public enum DependencyKind
{
    /// <summary>ww: the target installed the next version of a key the source installed.</summary>
    WriteWrite,

    /// <summary>wr: the target read a version the source installed.</summary>
    WriteRead,

    /// <summary>rw (anti-dependency): the target installed the version after the one the source read.</summary>
    ReadWrite,

    /// <summary>rt: the source's commit was acknowledged before the target began.</summary>
    RealTime,
}

/// <summary>An edge of the dependency graph, between transaction ids.</summary>
public sealed record Dependency(int From, int To, DependencyKind Kind, string? Key)
{
    public override string ToString()
    {
        var kind = Kind switch
        {
            DependencyKind.WriteWrite => "ww",
            DependencyKind.WriteRead => "wr",
            DependencyKind.ReadWrite => "rw",
            _ => "rt",
        };
        return $"T{From} -{kind}{(Key is null ? "" : $"({Key})")}-> T{To}";
    }
}
