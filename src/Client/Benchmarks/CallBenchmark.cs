using System.Diagnostics;
using Orleans.Concurrency;
using Roundabout.Transactions.OneRound;

namespace Roundabout.Client.Benchmarks;

/// <summary>
/// What one Orleans grain call costs on this machine, in the benchmark's process layout: the floor
/// under every transfer, which is made of such calls (see docs/benchmarks.md).
/// </summary>
public static class CallBenchmark
{
    public sealed record Result(string Kind, int Concurrency, long Calls, TimeSpan Elapsed, TimeSpan Cpu)
    {
        public double CallsPerSecond => Calls / Elapsed.TotalSeconds;

        public double CpuMicrosecondsPerCall => Calls == 0 ? 0 : Cpu.TotalMicroseconds / Calls;
    }

    /// <summary>Calls <paramref name="call"/> on random grains of 1,000 from <paramref name="concurrency"/> loops for <paramref name="duration"/>.</summary>
    /// <param name="cancellationToken">Stops the loops within moments: no result then, but <see cref="OperationCanceledException"/>.</param>
    public static async Task<Result> RunAsync(string kind, IGrainFactory grains, int concurrency, TimeSpan duration, Func<IPingGrain, Task> call, CancellationToken cancellationToken)
    {
        var targets = Enumerable.Range(0, 1000).Select(i => grains.GetGrain<IPingGrain>(i)).ToArray();
        await Task.WhenAll(targets.Select(call)); // activates them

        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var stopwatch = Stopwatch.StartNew();
        var counts = await Task.WhenAll(Enumerable.Range(0, concurrency).Select(worker => Task.Run(async () =>
        {
            var random = new Random(worker);
            long calls = 0;
            while (stopwatch.Elapsed < duration && !cancellationToken.IsCancellationRequested)
            {
                await call(targets[random.Next(targets.Length)]);
                calls++;
            }

            return calls;
        })));
        cancellationToken.ThrowIfCancellationRequested();
        var elapsed = stopwatch.Elapsed;
        return new Result(kind, concurrency, counts.Sum(), elapsed, Process.GetCurrentProcess().TotalProcessorTime - cpuBefore);
    }
}

/// <summary>A grain that does nothing, so that a call to it measures the call alone.</summary>
public interface IPingGrain : IGrainWithIntegerKey
{
    Task Ping();

    /// <summary>A call that runs as its own (empty) transaction: start, call, resolve with nothing to commit.</summary>
    [Transaction(TransactionOption.Create)]
    Task PingInTransaction();

    /// <summary>Joins the caller's transaction and does nothing in it: what a transactional call costs without state.</summary>
    [Transaction(TransactionOption.Join)]
    Task PingInCallersTransaction();

    /// <summary>A one-round part that touches nothing: what a part costs without state.</summary>
    [AlwaysInterleave]
    Task<PreparedPart> PingInRound(OneRoundTicket round);
}

[GrainType(BenchmarkGrainTypes.Ping)]
public sealed class PingGrain : Grain, IPingGrain
{
    public Task Ping() => Task.CompletedTask;

    public Task PingInTransaction() => Task.CompletedTask;

    public Task PingInCallersTransaction() => Task.CompletedTask;

    public Task<PreparedPart> PingInRound(OneRoundTicket round) => this.RunOneRoundPart(round, () => Task.CompletedTask);
}
