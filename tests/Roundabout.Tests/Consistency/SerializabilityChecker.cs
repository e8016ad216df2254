namespace Roundabout.Tests.Consistency;

/// <summary>
/// Strict serializability: the committed transactions must have no anomaly and no cycle at all
/// in the dependency graph with real-time edges (G0, G1c, G-single, G2, or a stale read).
/// An acyclic graph has a topological order, which is an equivalent serial order consistent with real time.
/// </summary>
public static class SerializabilityChecker
{
    public static ConsistencyReport Check(IEnumerable<RecordedTransaction> history, bool realTimeOrder = true)
    {
        var graph = DependencyGraph.Build(history, realTimeOrder);
        var anomalies = graph.Anomalies.ToList();
        var ids = graph.Committed.Select(t => t.Id).ToList();
        var node = ids.Select((id, index) => (id, index)).ToDictionary(p => p.id, p => p.index);

        var cycle = CycleFinder.Find(ids.Count, graph.Edges, e => node[e.From], e => node[e.To]);
        if (cycle is not null)
        {
            anomalies.Add(new Anomaly(AnomalyKind.Cycle, Describe(cycle, graph)));
        }

        return new ConsistencyReport("serializable", graph, anomalies);
    }

    internal static string Describe(IReadOnlyList<Dependency> cycle, DependencyGraph graph)
    {
        var involved = cycle.Select(e => e.From).Distinct().ToHashSet();
        var transactions = graph.Committed.Where(t => involved.Contains(t.Id));
        return $"{string.Join(", ", cycle)}{Environment.NewLine}    {string.Join(Environment.NewLine + "    ", transactions)}";
    }
}
