namespace Roundabout.Tests.Consistency;

/// <summary>
/// (Strong) snapshot isolation. Besides the graph's own anomalies (which include lost updates),
/// it fails on any cycle, in fact any closed walk, of the dependency graph that has no two
/// consecutive rw edges: under SI every cycle has two consecutive anti-dependencies (Fekete et
/// al. 2005). Proof sketch, with s the snapshot and c the commit timestamp: a ww, wr or rt edge
/// A→B gives c(A) ≤ s(B), so s(A) &lt; s(B); an rw edge A→B followed by a non-rw edge B→C gives
/// s(A) &lt; c(B) ≤ s(C). A walk without consecutive rw edges splits into such steps, each of
/// which raises s strictly, so it cannot return to where it began.
/// </summary>
public static class SnapshotIsolationChecker
{
    public static ConsistencyReport Check(IEnumerable<RecordedTransaction> history, bool realTimeOrder = true)
    {
        var graph = DependencyGraph.Build(history, realTimeOrder);
        var anomalies = graph.Anomalies.ToList();
        var ids = graph.Committed.Select(t => t.Id).ToList();
        var node = ids.Select((id, index) => (id, index)).ToDictionary(p => p.id, p => p.index);

        // Product graph: state (transaction, whether it was entered by an rw edge). An rw edge may
        // not leave a state entered by an rw edge.
        var steps = new List<(int From, int To, Dependency Edge)>();
        foreach (var edge in graph.Edges)
        {
            var isRw = edge.Kind == DependencyKind.ReadWrite;
            var target = (node[edge.To] * 2) + (isRw ? 1 : 0);
            steps.Add((node[edge.From] * 2, target, edge));
            if (!isRw)
            {
                steps.Add(((node[edge.From] * 2) + 1, target, edge));
            }
        }

        var walk = CycleFinder.Find(ids.Count * 2, steps, s => s.From, s => s.To);
        if (walk is not null)
        {
            anomalies.Add(new Anomaly(
                AnomalyKind.Cycle,
                "a cycle without two consecutive rw edges (not allowed under SI): " + SerializabilityChecker.Describe([.. walk.Select(s => s.Edge)], graph)));
        }

        return new ConsistencyReport("snapshot", graph, anomalies);
    }
}
