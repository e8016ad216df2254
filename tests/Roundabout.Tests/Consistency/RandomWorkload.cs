using Orleans.Transactions;
using Roundabout.Records;
using Roundabout.Transactions;

namespace Roundabout.Tests.Consistency;

/// <summary>
/// Concurrent random transactions over a few <see cref="IRecordGrain"/> keys, recorded for the
/// checkers. Each worker draws its transactions from its own seeded generator; the
/// interleaving is the cluster's. Every transaction reads and writes each key at most once,
/// in random order (so some read their own writes), and some are read-only.
/// </summary>
public sealed class RandomWorkload(IGrainFactory grains, IRoundaboutTransactions transactions, WorkloadOptions options)
{
    private readonly HistoryRecorder _recorder = new();
    private readonly List<Exception> _unexpected = [];
    private readonly string[] _keys = [.. Enumerable.Range(0, options.Keys).Select(i => $"history-{options.Seed}-{i}-{Guid.NewGuid():N}")];
    private int _remaining = options.Transactions;

    public IReadOnlyList<string> Keys => _keys;

    public async Task<WorkloadResult> RunAsync()
    {
        await Task.WhenAll(Enumerable.Range(0, options.Workers).Select(worker => Task.Run(() => WorkerAsync(new Random(HashCode.Combine(options.Seed, worker))))));

        // A last reader sees the final state: trailing versions must have committed writers, too.
        await RunOneAsync([.. _keys.Select(key => (key, OperationKind.Read))], readOnly: true, IsolationLevel.Serializable);

        List<Exception> unexpected;
        lock (_unexpected)
        {
            unexpected = [.. _unexpected];
        }

        return new WorkloadResult(_recorder.History, _keys, unexpected);
    }

    private async Task WorkerAsync(Random random)
    {
        while (Interlocked.Decrement(ref _remaining) >= 0)
        {
            var readOnly = random.NextDouble() < options.ReadOnlyFraction;
            var shuffled = _keys.OrderBy(_ => random.Next()).ToArray();
            var operations = new List<(string Key, OperationKind Kind)>();
            if (readOnly)
            {
                operations.AddRange(shuffled.Take(random.Next(2, Math.Min(4, _keys.Length) + 1)).Select(key => (key, OperationKind.Read)));
            }
            else
            {
                operations.AddRange(shuffled.Take(random.Next(0, options.MaxReads + 1)).Select(key => (key, OperationKind.Read)));
                operations.AddRange(_keys.OrderBy(_ => random.Next()).Take(random.Next(1, options.MaxWrites + 1)).Select(key => (key, OperationKind.Write)));
            }

            await RunOneAsync([.. operations.OrderBy(_ => random.Next())], readOnly, options.Isolation);
        }
    }

    private async Task RunOneAsync(IReadOnlyList<(string Key, OperationKind Kind)> operations, bool readOnly, IsolationLevel isolation)
    {
        var log = _recorder.Begin(readOnly);
        var attempts = 0;
        TransactionOutcome outcome;
        try
        {
            await transactions.RunAsync(
                async () =>
                {
                    if (Interlocked.Increment(ref attempts) > 1)
                    {
                        throw new InvalidOperationException($"The body of T{log.Id} ran twice; its log would mix two attempts.");
                    }

                    foreach (var (key, kind) in operations)
                    {
                        var record = grains.GetGrain<IRecordGrain>(key);
                        if (kind == OperationKind.Read)
                        {
                            var seen = await record.Get();
                            log.Read(key, seen.Value, seen.Version);
                        }
                        else
                        {
                            log.Wrote(key, await record.Put(log.ValueFor(key)));
                        }
                    }
                },
                new TransactionOptions(isolation, readOnly));
            outcome = TransactionOutcome.Committed;
        }
        catch (OrleansTransactionInDoubtException)
        {
            outcome = TransactionOutcome.Unknown;
        }
        catch (Exception exception) when (exception is OrleansTransactionAbortedException or OrleansStartTransactionFailedException)
        {
            outcome = TransactionOutcome.Aborted;
        }
        catch (Exception exception)
        {
            // Not a transaction outcome the API documents: it may or may not have committed.
            outcome = TransactionOutcome.Unknown;
            lock (_unexpected)
            {
                _unexpected.Add(exception);
            }
        }

        _recorder.Finish(log, outcome);
    }
}
