using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Transactions;
using Orleans.Transactions.Abstractions;
using Roundabout.State;
using Roundabout.Storage;
using Roundabout.Transactions;
using Roundabout.Transactions.Retries;

namespace Roundabout.Hosting;

/// <summary>
/// Refuses to start a silo or client whose Roundabout registrations were overridden or are
/// incomplete. Without it the process starts, and the first transaction fails: with Orleans'
/// own agent (<c>UseTransactions()</c> called after Roundabout's registration) as a commit that
/// Orleans presumes aborted, and without a record store as a missing-service error.
/// </summary>
internal sealed class RoundaboutRegistrationValidator(IServiceProvider services, bool isSilo) : IConfigurationValidator
{
    public void ValidateConfiguration()
    {
        // The store first: the agent checked below is built on a coordinator that needs it.
        // Asked of the container, not resolved: resolving would open the store (and lock its directory) here.
        if (isSilo && services.GetService<IServiceProviderIsService>() is { } registrations && !registrations.IsService(typeof(IRecordStore)))
        {
            throw new OrleansConfigurationException(
                "Roundabout needs an IRecordStore to keep transactions durable, and none is registered. "
                + "Use AddRoundabout() for the embedded log, or register a store (services.AddSingleton<IRecordStore>(...), or UseRecordStore(store)) with UseRoundaboutTransactions().");
        }

        var agent = services.GetService<ITransactionAgent>();
        if (agent is not RoundaboutTransactionAgent)
        {
            throw Overridden($"The transaction agent is {agent?.GetType().FullName ?? "missing"}, not Roundabout's");
        }

        var stateFactory = isSilo ? services.GetService<ITransactionalStateFactory>() : null;
        if (isSilo && stateFactory is not RoundaboutTransactionalStateFactory)
        {
            throw Overridden($"[TransactionalState] is served by {stateFactory?.GetType().FullName ?? "nothing"}, not Roundabout");
        }

        if (isSilo
            && services.GetRequiredService<IOptions<RoundaboutTransactionOptions>>().Value.RootConflictRetries > 0
            && !services.GetServices<IIncomingGrainCallFilter>().OfType<RootConflictRetryFilter>().Any())
        {
            throw new OrleansConfigurationException(
                $"{nameof(RoundaboutTransactionOptions.RootConflictRetries)} is set, but not in the options given to AddRoundabout() or UseRoundaboutTransactions(), "
                + "which is where a silo decides whether to retry transaction roots. Set it there.");
        }
    }

    private static OrleansConfigurationException Overridden(string what) => new(
        $"{what}: UseTransactions() was called after Roundabout's registration and replaced it. "
        + "Remove UseTransactions(): UseRoundaboutTransactions() (and AddRoundabout(), which calls it) includes everything it registers.");
}
