using Orleans.Transactions;
using Roundabout.Records;
using Roundabout.Transactions;
using Roundabout.Transactions.OneRound;

namespace Roundabout.Tests.Consistency;

/// <summary>
/// Concurrent random transactions over a few <see cref="IRecordGrain"/> keys, recorded for the
/// checkers. Each worker draws its transactions from its own seeded generator; the
/// interleaving is the cluster's. Every transaction reads and writes each key at most once,
/// in random order (so some read their own writes), and some are read-only. Some of the writing
/// ones run as one-round transactions instead: one part per key, a read or a write.
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

            if (!readOnly && random.NextDouble() < options.OneRoundFraction)
            {
                await RunOneRoundAsync(operations, options.Isolation);
            }
            else
            {
                await RunOneAsync([.. operations.OrderBy(_ => random.Next())], readOnly, options.Isolation);
            }
        }
    }

    /// <summary>
    /// A one-round transaction: each key is one part, written if the transaction writes it and
    /// read otherwise. Every attempt is a transaction of its own in the history, with values of
    /// its own, so a read of an aborted attempt's write shows up as such. Each attempt's log begins
    /// before its timestamp is taken (the next one's when the callback runs), so the real-time
    /// order the checker assumes is never stricter than the truth.
    /// </summary>
    private async Task RunOneRoundAsync(IReadOnlyList<(string Key, OperationKind Kind)> operations, IsolationLevel isolation)
    {
        var perKey = operations
            .GroupBy(operation => operation.Key)
            .Select(group => (Key: group.Key, Kind: group.Any(o => o.Kind == OperationKind.Write) ? OperationKind.Write : OperationKind.Read))
            .ToArray();
        var attempts = new List<TransactionLog>();
        var next = _recorder.Begin();
        Task<PreparedPart>[] lastCalls = [];
        IReadOnlyList<PreparedPart>? parts = null;
        TransactionOutcome outcome;
        try
        {
            parts = await transactions.RunOneRoundAsync(
                round =>
                {
                    var log = next;
                    attempts.Add(log);
                    next = _recorder.Begin();
                    lastCalls = [.. perKey.Select(operation => operation.Kind == OperationKind.Read
                        ? grains.GetGrain<IRecordGrain>(operation.Key).GetInRound(round)
                        : grains.GetGrain<IRecordGrain>(operation.Key).PutInRound(round, log.ValueFor(operation.Key)))];
                    return lastCalls;
                },
                new TransactionOptions(isolation));
            outcome = TransactionOutcome.Committed;
        }
        catch (Exception exception)
        {
            outcome = Classify(exception);
        }

        for (var i = 0; i < attempts.Count - 1; i++)
        {
            _recorder.Finish(attempts[i], TransactionOutcome.Aborted);
        }

        if (attempts.Count == 0)
        {
            return; // no attempt reached its parts: nothing ran
        }

        var last = attempts[^1];
        if (parts is null && outcome == TransactionOutcome.Unknown && lastCalls.All(call => call.IsCompletedSuccessfully))
        {
            // In doubt after every part prepared: had it committed, these are what it did.
            parts = [.. lastCalls.Select(call => call.Result)];
        }

        if (parts is not null)
        {
            for (var i = 0; i < perKey.Length; i++)
            {
                if (perKey[i].Kind == OperationKind.Read)
                {
                    var seen = parts[i].ResultAs<VersionedValue>();
                    last.Read(perKey[i].Key, seen.Value, seen.Version);
                }
                else
                {
                    last.Wrote(perKey[i].Key, parts[i].ResultAs<long>());
                }
            }
        }

        _recorder.Finish(last, outcome);
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
        catch (Exception exception)
        {
            outcome = Classify(exception);
        }

        _recorder.Finish(log, outcome);
    }

    private TransactionOutcome Classify(Exception exception)
    {
        switch (exception)
        {
            case OrleansTransactionInDoubtException:
                return TransactionOutcome.Unknown;
            case OrleansTransactionAbortedException or OrleansStartTransactionFailedException:
                return TransactionOutcome.Aborted;
            default:
                // Not a transaction outcome the API documents: it may or may not have committed.
                lock (_unexpected)
                {
                    _unexpected.Add(exception);
                }

                return TransactionOutcome.Unknown;
        }
    }
}
