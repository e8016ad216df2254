using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Transactions.Abstractions;

namespace Roundabout.Hosting;

/// <summary>
/// Refuses to start a silo whose grains take an Orleans <c>[TransactionCommitter]</c>
/// (<see cref="ITransactionCommitter{TService}"/>), which Roundabout's agent does not run.
/// </summary>
/// <remarks>
/// Orleans' committer runs an external operation as the last step of its own commit protocol. Left
/// to itself under Roundabout, it joined transactions as a participant that no coordinator message
/// could reach, and every transaction that used it failed as a conflict, which a retrying caller
/// tried again for good. Refusing at start says so once, and where.
/// </remarks>
internal sealed class TransactionCommitterValidator(IOptions<GrainTypeOptions> grainTypes) : IConfigurationValidator
{
    public void ValidateConfiguration()
    {
        var users = CommitterParameters(grainTypes.Value.Classes).ToList();
        if (users.Count > 0)
        {
            throw new OrleansConfigurationException(
                $"Roundabout does not run [TransactionCommitter] (ITransactionCommitter<T>), which {string.Join(", ", users)} take. "
                + "Run the external operation after the transaction commits (with an idempotency key, so that a retry does it once), "
                + "or keep these grains on a silo with Orleans' own UseTransactions().");
        }
    }

    /// <summary>Grain constructor parameters that ask for a committer, as "Class(parameter)".</summary>
    internal static IEnumerable<string> CommitterParameters(IEnumerable<Type> grainClasses) =>
        from grainClass in grainClasses
        from constructor in grainClass.GetConstructors()
        from parameter in constructor.GetParameters()
        where parameter.IsDefined(typeof(TransactionCommitterAttribute), inherit: true)
        select $"{grainClass.Name}({parameter.Name})";
}
