using Roundabout.Transactions;

namespace Roundabout.Tests.Infrastructure;

/// <summary>A read-only snapshot paused between two reads, so that a test can change things meanwhile.</summary>
public static class PausedSnapshot
{
    private static readonly TimeSpan Prompt = TimeSpan.FromSeconds(20);

    /// <summary>
    /// Reads <paramref name="first"/> in a read-only snapshot, runs <paramref name="between"/>
    /// outside it, then reads <paramref name="then"/> in the same snapshot.
    /// </summary>
    public static async Task<(T First, T Then)> ReadAsync<T>(IRoundaboutTransactions transactions, Func<Task<T>> first, Func<Task> between, Func<Task<T>> then)
    {
        var inside = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var reader = transactions.RunAsync(
            async () =>
            {
                var early = await first();
                inside.SetResult();
                await go.Task;
                return (early, await then());
            },
            TransactionOptions.ReadOnlySnapshot);

        await inside.Task.WaitAsync(Prompt);
        try
        {
            await between();
        }
        finally
        {
            go.SetResult();
        }

        return await reader.WaitAsync(Prompt);
    }
}
