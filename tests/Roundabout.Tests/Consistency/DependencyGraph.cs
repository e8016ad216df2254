namespace Roundabout.Tests.Consistency;

/// <summary>
/// Adya's direct serialization graph of the committed transactions of a history, over records
/// whose versions count their writes (version k is the k-th committed write; 0 is the initial,
/// absent value). Building it also finds the anomalies that need no cycle: aborted and garbage
/// reads, lost updates, missing versions and transactions inconsistent with themselves.
/// </summary>
/// <remarks>
/// A write that the record reported as version k is a read-modify-write of version k-1, so it
/// counts as a read of version k-1 as well. In-doubt transactions count as committed when
/// another transaction saw one of their values or when they fill a version no one else installed.
/// </remarks>
public sealed class DependencyGraph
{
    private readonly HashSet<Dependency> _edges = [];
    private readonly List<Anomaly> _anomalies = [];

    private DependencyGraph(IReadOnlyList<RecordedTransaction> committed)
    {
        Committed = committed;
    }

    /// <summary>The nodes: committed transactions (and in-doubt ones shown to have committed).</summary>
    public IReadOnlyList<RecordedTransaction> Committed { get; }

    public IReadOnlyCollection<Dependency> Edges => _edges;

    public IReadOnlyList<Anomaly> Anomalies => _anomalies;

    public int Count(DependencyKind kind) => _edges.Count(e => e.Kind == kind);

    /// <param name="realTimeOrder">Adds rt edges, so that a stale read (one that misses a commit acknowledged before the reader began) forms a cycle.</param>
    public static DependencyGraph Build(IEnumerable<RecordedTransaction> history, bool realTimeOrder = true)
    {
        ArgumentNullException.ThrowIfNull(history);
        var byId = history.ToDictionary(t => t.Id);
        var graph = new DependencyGraph(CommittedTransactions(byId));
        var committedIds = graph.Committed.Select(t => t.Id).ToHashSet();

        var writers = graph.IndexWriters();
        var reads = graph.CheckReads(byId, committedIds);
        graph.AddVersionEdges(writers, reads);
        if (realTimeOrder)
        {
            graph.AddRealTimeEdges(byId);
        }

        return graph;
    }

    /// <summary>Committed transactions, plus in-doubt ones that some committed transaction depends on.</summary>
    private static List<RecordedTransaction> CommittedTransactions(Dictionary<int, RecordedTransaction> byId)
    {
        var committed = byId.Values.Where(t => t.Outcome == TransactionOutcome.Committed).Select(t => t.Id).ToHashSet();
        var changed = true;
        while (changed)
        {
            changed = false;
            var installed = committed.SelectMany(id => byId[id].Writes.Select(w => (w.Key, w.Version))).ToHashSet();
            foreach (var doubtful in byId.Values.Where(t => t.Outcome == TransactionOutcome.Unknown && !committed.Contains(t.Id)))
            {
                var observed = committed.Any(id => byId[id].Operations.Any(o =>
                    (o.Kind == OperationKind.Read && WrittenValue.TryDecode(o.Value, out var writer, out _) && writer == doubtful.Id) ||
                    (o.Kind == OperationKind.Write && doubtful.Writes.Any(w => w.Key == o.Key && w.Version == o.Version - 1))));
                var fillsGap = doubtful.Writes.Any(w => !installed.Contains((w.Key, w.Version)) &&
                    committed.Any(id => byId[id].Operations.Any(o => o.Key == w.Key && o.Version > w.Version)));
                if (observed || fillsGap)
                {
                    committed.Add(doubtful.Id);
                    changed = true;
                }
            }
        }

        return [.. committed.Order().Select(id => byId[id])];
    }

    /// <summary>key → version → the committed transactions that installed it (more than one is a lost update).</summary>
    private Dictionary<string, SortedDictionary<long, List<int>>> IndexWriters()
    {
        var writers = new Dictionary<string, SortedDictionary<long, List<int>>>();
        foreach (var transaction in Committed)
        {
            foreach (var write in transaction.Writes)
            {
                if (!writers.TryGetValue(write.Key, out var versions))
                {
                    writers[write.Key] = versions = [];
                }

                if (!versions.TryGetValue(write.Version, out var installers))
                {
                    versions[write.Version] = installers = [];
                }

                installers.Add(transaction.Id);
            }
        }

        foreach (var (key, versions) in writers)
        {
            foreach (var (version, installers) in versions.Where(v => v.Value.Count > 1))
            {
                Report(AnomalyKind.LostUpdate, $"version {version} of {key} was installed by {string.Join(" and ", installers.Select(id => $"T{id}"))}: each overwrote version {version - 1}");
            }

            if (versions.Keys.Any(v => v < 1))
            {
                Report(AnomalyKind.GarbageRead, $"a write of {key} reported version {versions.Keys.Min()}; versions of writes start at 1");
            }
        }

        return writers;
    }

    /// <summary>Checks every read of the committed transactions; returns (reader, key, version read) for the graph.</summary>
    private List<(int Reader, string Key, long Version)> CheckReads(Dictionary<int, RecordedTransaction> byId, HashSet<int> committedIds)
    {
        var reads = new List<(int, string, long)>();
        foreach (var transaction in Committed)
        {
            var snapshot = new Dictionary<string, RecordedOperation>();
            var own = new Dictionary<string, RecordedOperation>();
            foreach (var operation in transaction.Operations)
            {
                var key = operation.Key;
                if (operation.Kind == OperationKind.Write)
                {
                    if (snapshot.TryGetValue(key, out var seen) && operation.Version != seen.Version + 1)
                    {
                        Report(AnomalyKind.InternalInconsistency, $"T{transaction.Id} read {seen} but its write became version {operation.Version}, not {seen.Version + 1}");
                    }

                    own[key] = operation;
                    reads.Add((transaction.Id, key, operation.Version - 1));
                    continue;
                }

                if (own.TryGetValue(key, out var mine))
                {
                    if (operation.Version != mine.Version || !SameValue(operation.Value, mine.Value))
                    {
                        Report(AnomalyKind.InternalInconsistency, $"T{transaction.Id} wrote {mine} and then read {operation}");
                    }

                    continue;
                }

                if (snapshot.TryGetValue(key, out var earlier))
                {
                    if (operation.Version != earlier.Version || !SameValue(operation.Value, earlier.Value))
                    {
                        Report(AnomalyKind.InternalInconsistency, $"T{transaction.Id} read {earlier} and then {operation} (non-repeatable read)");
                    }

                    continue;
                }

                snapshot[key] = operation;
                if (CheckRead(transaction, operation, byId, committedIds))
                {
                    reads.Add((transaction.Id, key, operation.Version));
                }
            }
        }

        return reads;
    }

    /// <summary>Whether the read is of a committed version (and so belongs in the graph).</summary>
    private bool CheckRead(RecordedTransaction reader, RecordedOperation read, Dictionary<int, RecordedTransaction> byId, HashSet<int> committedIds)
    {
        if (read.Value is null)
        {
            if (read.Version != 0)
            {
                Report(AnomalyKind.GarbageRead, $"T{reader.Id} read {read}: no value at a written version (nothing is deleted in these histories)");
                return false;
            }

            return true;
        }

        if (!WrittenValue.TryDecode(read.Value, out var writerId, out var writtenKey) || writtenKey != read.Key || !byId.TryGetValue(writerId, out var writer))
        {
            Report(AnomalyKind.GarbageRead, $"T{reader.Id} read {read}, which no transaction of the history wrote to {read.Key}");
            return false;
        }

        if (!committedIds.Contains(writerId))
        {
            Report(AnomalyKind.AbortedRead, $"T{reader.Id} read {read}, written by {writer.Outcome.ToString().ToLowerInvariant()} transaction T{writerId} (G1a)");
            return false;
        }

        var installed = writer.Writes.FirstOrDefault(w => w.Key == read.Key);
        if (installed is null || installed.Version != read.Version)
        {
            Report(AnomalyKind.VersionMismatch, $"T{reader.Id} read {read}, but T{writerId} installed {(installed is null ? "no version" : $"version {installed.Version}")} of {read.Key}");
            return false;
        }

        return true;
    }

    private void AddVersionEdges(Dictionary<string, SortedDictionary<long, List<int>>> writers, List<(int Reader, string Key, long Version)> reads)
    {
        foreach (var (key, versions) in writers)
        {
            var newest = Math.Max(versions.Keys.Max(), reads.Where(r => r.Key == key).Select(r => r.Version).DefaultIfEmpty(0).Max());
            for (var version = 1L; version <= newest; version++)
            {
                if (!versions.ContainsKey(version))
                {
                    Report(AnomalyKind.MissingVersion, $"version {version} of {key} was read or overwritten, but no committed transaction installed it");
                }
            }

            foreach (var (version, installers) in versions)
            {
                if (versions.TryGetValue(version + 1, out var next))
                {
                    Add(installers[0], next[0], DependencyKind.WriteWrite, key);
                }
            }
        }

        foreach (var (reader, key, version) in reads)
        {
            if (!writers.TryGetValue(key, out var versions))
            {
                continue; // only the initial version exists: nothing to depend on
            }

            if (versions.TryGetValue(version, out var writer))
            {
                Add(writer[0], reader, DependencyKind.WriteRead, key);
            }

            if (versions.TryGetValue(version + 1, out var overwriter))
            {
                Add(reader, overwriter[0], DependencyKind.ReadWrite, key);
            }
        }
    }

    private void AddRealTimeEdges(Dictionary<int, RecordedTransaction> byId)
    {
        // An in-doubt transaction may have been settled after the client heard of it: no rt edges out of it.
        var acknowledged = Committed.Where(t => byId[t.Id].Outcome == TransactionOutcome.Committed).OrderBy(t => t.FinishedAt).ToList();
        foreach (var later in Committed)
        {
            foreach (var earlier in acknowledged)
            {
                if (earlier.FinishedAt >= later.StartedAt)
                {
                    break;
                }

                Add(earlier.Id, later.Id, DependencyKind.RealTime, null);
            }
        }
    }

    private void Add(int from, int to, DependencyKind kind, string? key)
    {
        if (from != to)
        {
            _edges.Add(new Dependency(from, to, kind, key));
        }
    }

    private void Report(AnomalyKind kind, string description) => _anomalies.Add(new Anomaly(kind, description));

    private static bool SameValue(byte[]? a, byte[]? b) => a is null ? b is null : b is not null && a.AsSpan().SequenceEqual(b);
}
