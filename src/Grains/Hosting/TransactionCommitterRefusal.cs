using System.Reflection;
using Orleans.Transactions.Abstractions;

namespace Roundabout.Hosting;

/// <summary>
/// Stands in for Orleans' <c>[TransactionCommitter]</c> facet (<see cref="ITransactionCommitter{TService}"/>),
/// which Roundabout's agent does not run: a grain that takes one fails to activate, with a message
/// that says so and what to do instead. Every other grain of the silo works.
/// </summary>
/// <remarks>
/// Orleans' committer runs an external operation as the last step of its own commit protocol. Left
/// in place under Roundabout, it joined transactions as a participant that no coordinator message
/// could reach, and every transaction that used it failed as a retryable conflict, for good.
/// Refusing the whole silo at start instead would have stopped every other grain of an
/// application that has one committer somewhere.
/// </remarks>
internal sealed class TransactionCommitterRefusal : IAttributeToFactoryMapper<TransactionCommitterAttribute>
{
    public Factory<IGrainContext, object> GetFactory(ParameterInfo parameter, TransactionCommitterAttribute attribute)
    {
        var message = $"Roundabout does not run [TransactionCommitter] (ITransactionCommitter<T>), which {parameter.Member.DeclaringType?.Name}({parameter.Name}) takes. "
            + "Run the external operation after the transaction commits (with an idempotency key, so that a retry does it once), "
            + "or keep this grain in a separate cluster that uses Orleans' own transactions (UseTransactions()): one cluster runs one transaction agent.";
        return _ => throw new NotSupportedException(message);
    }
}
