namespace Roundabout.Hosting;

/// <summary>Starts background loops that serve every caller, not the one that happened to start them.</summary>
internal static class DetachedTask
{
    /// <summary>
    /// Runs <paramref name="loop"/> on the thread pool without the current execution context: the
    /// caller's async-locals and Orleans request context (a one-round part's mark, say) must not
    /// ride along on everything the loop does later.
    /// </summary>
    public static Task Run(Func<Task> loop)
    {
        // SuppressFlow throws when the caller has already suppressed the flow; then there is nothing to detach from.
        if (ExecutionContext.IsFlowSuppressed())
        {
            return Task.Run(loop);
        }

        using (ExecutionContext.SuppressFlow())
        {
            return Task.Run(loop);
        }
    }
}
