using Roundabout.Records;
using Roundabout.Transactions;
using Roundabout.Transactions.OneRound;

namespace Roundabout.Tests.Infrastructure;

/// <summary>
/// A one-round transaction that reads a record at once and whose other part, on its first attempt
/// only, waits for a signal: the escrow tests' "late arrival", a transaction whose timestamp (and
/// read) comes before others that commit while its part is held back.
/// </summary>
internal sealed record HeldBackOneRound(Task<IReadOnlyList<PreparedPart>> Run, Func<int> Attempts)
{
    /// <summary>Starts it; returns once it has its ticket (its timestamp), with the record's read on its way.</summary>
    public static async Task<HeldBackOneRound> StartAsync(
        IRoundaboutTransactions transactions, IRecordGrain read, Func<OneRoundTicket, Task<PreparedPart>> heldPart, Task release)
    {
        var ticketTaken = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var attempts = 0;
        var run = transactions.RunOneRoundAsync(round =>
        {
            var first = Interlocked.Increment(ref attempts) == 1;
            ticketTaken.TrySetResult();
            var readPart = read.GetInRound(round);
            var held = Task.Run(async () =>
            {
                if (first)
                {
                    await release.WaitAsync(TimeSpan.FromSeconds(40));
                }

                return await heldPart(round);
            });
            return [readPart, held];
        });

        await ticketTaken.Task.WaitAsync(TimeSpan.FromSeconds(20));
        return new HeldBackOneRound(run, () => Volatile.Read(ref attempts));
    }
}
