using System.Text;

namespace Roundabout.Tests.Consistency;

/// <summary>What a checker found in a history; empty <see cref="Anomalies"/> means it is consistent.</summary>
public sealed record ConsistencyReport(string Level, DependencyGraph Graph, IReadOnlyList<Anomaly> Anomalies)
{
    public bool IsConsistent => Anomalies.Count == 0;

    public bool Has(AnomalyKind kind) => Anomalies.Any(a => a.Kind == kind);

    public override string ToString()
    {
        var text = new StringBuilder();
        text.Append(Level).Append(": ").Append(Graph.Committed.Count).Append(" committed; edges ww ").Append(Graph.Count(DependencyKind.WriteWrite))
            .Append(", wr ").Append(Graph.Count(DependencyKind.WriteRead))
            .Append(", rw ").Append(Graph.Count(DependencyKind.ReadWrite))
            .Append(", rt ").Append(Graph.Count(DependencyKind.RealTime));
        if (IsConsistent)
        {
            return text.Append("; consistent").ToString();
        }

        text.Append("; ").Append(Anomalies.Count).Append(" anomalies:");
        foreach (var anomaly in Anomalies.Take(20))
        {
            text.AppendLine().Append("  ").Append(anomaly);
        }

        return text.ToString();
    }
}
