using Microsoft.Extensions.DependencyInjection;
using Orleans.Transactions.Abstractions;

namespace Roundabout.State;

/// <summary>Creates Roundabout's state for every <c>[TransactionalState]</c> parameter (replaces Orleans' factory in DI).</summary>
internal sealed class RoundaboutTransactionalStateFactory(IGrainContextAccessor contextAccessor) : ITransactionalStateFactory
{
    public ITransactionalState<TState> Create<TState>(TransactionalStateConfiguration config)
        where TState : class, new()
    {
        ArgumentNullException.ThrowIfNull(config);
        var context = contextAccessor.GrainContext;
        return ActivatorUtilities.CreateInstance<RoundaboutTransactionalState<TState>>(context.ActivationServices, config, context);
    }
}
