using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orleans.Transactions;
using Orleans.Transactions.Abstractions;
using Roundabout.State;
using Roundabout.Transactions;
using Roundabout.Transactions.Committers;
using Roundabout.Transactions.Retries;
using Roundabout.Transactions.OneRound;
using Roundabout.Transactions.Protocol;
using Roundabout.Transactions.Timestamps;

namespace Roundabout.Hosting;

public static class RoundaboutTransactionsHostingExtensions
{
    /// <summary>
    /// Runs this silo's transactions on Roundabout: use it instead of <c>UseTransactions()</c>.
    /// Grains keep Orleans' programming model (<c>[Transaction]</c>, <c>[TransactionalState]</c>,
    /// <c>ITransactionClient</c>). The silo needs an <see cref="Storage.IRecordStore"/> in its services.
    /// </summary>
    public static ISiloBuilder UseRoundaboutTransactions(this ISiloBuilder builder, Action<RoundaboutTransactionOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);

        // Orleans' registrations bring the [Transaction] call pipeline, ITransactionClient and the
        // [TransactionalState] facet mapper; the registrations below replace the parts that
        // decide anything (a later AddSingleton wins).
        builder.UseTransactions();
        builder.AddGrainExtension<ITransactionParticipantExtension, TransactionParticipantExtension>();
        builder.ConfigureServices(services =>
        {
            services.AddRoundaboutBaseline(configure);
            services.AddSingleton<CommitDecisions>();
            services.AddSingleton<CommitInstaller>();
            services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, CommitInstallerLifecycle>();
            services.AddSingleton<TransactionCoordinator>();
            services.AddSingleton<IConfigurationValidator, OneRoundPartMethodsValidator>();
            services.AddSingleton<IConfigurationValidator>(sp => new RoundaboutRegistrationValidator(sp, isSilo: true));
            services.AddSingleton<ITransactionResolver, LocalTransactionResolver>();
            services.AddSingleton<ITransactionalStateFactory, RoundaboutTransactionalStateFactory>();
            // As Orleans' own UseTransactions: only if the application did not register its own
            // copier for a state or result type, which the states then use.
            services.TryAddSingleton(typeof(ITransactionDataCopier<>), typeof(DefaultTransactionDataCopier<>));
            services.AddSingleton<IAttributeToFactoryMapper<TransactionalCounterAttribute>, TransactionalCounterAttributeMapper>();
            services.AddSingleton<IAttributeToFactoryMapper<TransactionCommitterAttribute>, TransactionCommitterAttributeMapper>();
        });
        if (RetriesRoots(configure))
        {
            builder.AddIncomingGrainCallFilter<RootConflictRetryFilter>();
        }

        return builder;
    }

    /// <summary>The client's counterpart of <see cref="UseRoundaboutTransactions(ISiloBuilder, Action{RoundaboutTransactionOptions}?)"/>.</summary>
    public static IClientBuilder UseRoundaboutTransactions(this IClientBuilder builder, Action<RoundaboutTransactionOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.UseTransactions();
        builder.ConfigureServices(services =>
        {
            services.AddRoundaboutBaseline(configure);
            services.AddSingleton<ITransactionResolver, RemoteTransactionResolver>();
            services.AddSingleton<IConfigurationValidator>(sp => new RoundaboutRegistrationValidator(sp, isSilo: false));
        });
        return builder;
    }

    /// <summary>Whether the registration's own options ask for retries of transaction roots (see <see cref="RoundaboutTransactionOptions.RootConflictRetries"/>).</summary>
    private static bool RetriesRoots(Action<RoundaboutTransactionOptions>? configure)
    {
        var requested = new RoundaboutTransactionOptions();
        configure?.Invoke(requested);
        return requested.RootConflictRetries > 0;
    }

    private static void AddRoundaboutBaseline(this IServiceCollection services, Action<RoundaboutTransactionOptions>? configure)
    {
        var options = services.AddOptions<RoundaboutTransactionOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.Validate(o =>
        {
            o.Validate();
            return true;
        });
        services.AddSingleton<GrainReferences>();
        services.AddSingleton<ActiveSnapshotRegistry>();
        services.AddSingleton<TimestampBatcher>();
        services.AddSingleton<ITimestampSource>(sp => sp.GetRequiredService<TimestampBatcher>());
        services.AddSingleton<ITransactionAgent, RoundaboutTransactionAgent>();
        services.AddSingleton<IRoundaboutTransactions, RoundaboutTransactions>();

        // Orleans' transaction client (an internal type, registered by UseTransactions()), wrapped
        // for the application. The native API keeps the unwrapped one: its callers (the client's
        // TransactionRunner) choose their own retries, which the option must not multiply.
        var orleansClient = services.LastOrDefault(service => service.ServiceType == typeof(ITransactionClient) && service.ImplementationType is not null)
            ?? throw new InvalidOperationException("UseTransactions() registered no ITransactionClient to wrap.");
        services.Remove(orleansClient);
        services.AddKeyedSingleton<ITransactionClient>(RetryingTransactionClient.UnwrappedKey, (sp, _) =>
            (ITransactionClient)ActivatorUtilities.CreateInstance(sp, orleansClient.ImplementationType!));
        services.AddSingleton<ITransactionClient>(sp => new RetryingTransactionClient(
            sp.GetRequiredKeyedService<ITransactionClient>(RetryingTransactionClient.UnwrappedKey),
            sp.GetRequiredService<IOptions<RoundaboutTransactionOptions>>()));
    }
}
