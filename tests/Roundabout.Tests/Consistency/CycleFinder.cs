namespace Roundabout.Tests.Consistency;

/// <summary>Finds one cycle in a directed graph: Tarjan's strongly connected components, then a shortest cycle inside one.</summary>
public static class CycleFinder
{
    /// <summary>
    /// The edges of a cycle, in order, or <c>null</c> if the graph is acyclic.
    /// Nodes are 0..<paramref name="nodeCount"/>-1.
    /// </summary>
    public static IReadOnlyList<TEdge>? Find<TEdge>(int nodeCount, IEnumerable<TEdge> edges, Func<TEdge, int> from, Func<TEdge, int> to)
    {
        var outgoing = new List<TEdge>[nodeCount];
        for (var node = 0; node < nodeCount; node++)
        {
            outgoing[node] = [];
        }

        foreach (var edge in edges)
        {
            outgoing[from(edge)].Add(edge);
        }

        var component = StronglyConnectedComponents(outgoing, to);
        for (var start = 0; start < nodeCount; start++)
        {
            var cycle = ShortestCycleThrough(start, outgoing, from, to, component);
            if (cycle is not null)
            {
                return cycle;
            }
        }

        return null;
    }

    /// <summary>BFS from <paramref name="start"/> inside its component, back to <paramref name="start"/>.</summary>
    private static List<TEdge>? ShortestCycleThrough<TEdge>(int start, List<TEdge>[] outgoing, Func<TEdge, int> from, Func<TEdge, int> to, int[] component)
    {
        var cameBy = new Dictionary<int, TEdge>();
        var queue = new Queue<int>([start]);
        while (queue.Count > 0)
        {
            var node = queue.Dequeue();
            foreach (var edge in outgoing[node])
            {
                var next = to(edge);
                if (component[next] != component[start])
                {
                    continue;
                }

                if (next == start)
                {
                    var cycle = new List<TEdge> { edge };
                    for (var back = node; back != start; back = from(cameBy[back]))
                    {
                        cycle.Add(cameBy[back]);
                    }

                    cycle.Reverse();
                    return cycle;
                }

                if (cameBy.TryAdd(next, edge))
                {
                    queue.Enqueue(next);
                }
            }
        }

        return null;
    }

    /// <summary>Iterative Tarjan: the component number of every node.</summary>
    private static int[] StronglyConnectedComponents<TEdge>(List<TEdge>[] outgoing, Func<TEdge, int> to)
    {
        var count = outgoing.Length;
        var index = new int[count];
        var low = new int[count];
        var component = new int[count];
        Array.Fill(index, -1);
        var onStack = new bool[count];
        var stack = new Stack<int>();
        var nextIndex = 0;
        var nextComponent = 0;

        for (var root = 0; root < count; root++)
        {
            if (index[root] >= 0)
            {
                continue;
            }

            var work = new Stack<(int Node, int Edge)>();
            work.Push((root, 0));
            index[root] = low[root] = nextIndex++;
            stack.Push(root);
            onStack[root] = true;
            while (work.Count > 0)
            {
                var (node, edge) = work.Pop();
                if (edge < outgoing[node].Count)
                {
                    work.Push((node, edge + 1));
                    var next = to(outgoing[node][edge]);
                    if (index[next] < 0)
                    {
                        index[next] = low[next] = nextIndex++;
                        stack.Push(next);
                        onStack[next] = true;
                        work.Push((next, 0));
                    }
                    else if (onStack[next])
                    {
                        low[node] = Math.Min(low[node], index[next]);
                    }

                    continue;
                }

                if (low[node] == index[node])
                {
                    int member;
                    do
                    {
                        member = stack.Pop();
                        onStack[member] = false;
                        component[member] = nextComponent;
                    }
                    while (member != node);
                    nextComponent++;
                }

                if (work.Count > 0)
                {
                    var parent = work.Peek().Node;
                    low[parent] = Math.Min(low[parent], low[node]);
                }
            }
        }

        return component;
    }
}
