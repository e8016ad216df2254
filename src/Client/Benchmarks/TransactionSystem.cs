using Roundabout.Silo.Hosting;

namespace Roundabout.Client.Benchmarks;

/// <summary>
/// One side of the comparison: how a silo is set up to run transactions. Both run the same grain
/// classes (<c>[TransactionalState]</c> and <c>[Transaction]</c> are Orleans' own attributes).
/// </summary>
/// <param name="Storage">Where the system keeps transactional state, for the report.</param>
public sealed record TransactionSystem(string Name, string Storage, Action<ISiloBuilder> Configure)
{
    /// <summary>Roundabout on its durable embedded log (group commit, fsync).</summary>
    public static TransactionSystem Roundabout(string dataDirectory) => new(
        "Roundabout",
        $"durable embedded log in {Path.GetFullPath(dataDirectory)}",
        silo =>
        {
            silo.UseFileLog(options => options.DataDirectory = dataDirectory);
            silo.AddRoundabout();
        });

    /// <summary>Orleans' built-in transactions on in-memory storage: their most favourable case.</summary>
    public static TransactionSystem Orleans { get; } = new(
        "Orleans",
        "in-memory grain storage (not durable)",
        silo =>
        {
            // [TransactionalState] without a storage name uses the default grain storage.
            silo.AddMemoryGrainStorageAsDefault();
            silo.UseTransactions();
        });
}
