using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Transactions.Abstractions;

namespace Roundabout.State;

/// <summary>Creates a <see cref="RoundaboutTransactionalCounter"/> for each <see cref="TransactionalCounterAttribute"/> parameter.</summary>
internal sealed class TransactionalCounterAttributeMapper : IAttributeToFactoryMapper<TransactionalCounterAttribute>
{
    public Factory<IGrainContext, object> GetFactory(ParameterInfo parameter, TransactionalCounterAttribute attribute)
    {
        if (parameter.ParameterType != typeof(ITransactionalCounter))
        {
            throw new InvalidOperationException($"[TransactionalCounter] goes on a parameter of type {nameof(ITransactionalCounter)}, not {parameter.ParameterType}.");
        }

        var config = new TransactionalStateConfiguration(new TransactionalStateAttribute(attribute.StateName));
        return context => ActivatorUtilities.CreateInstance<RoundaboutTransactionalCounter>(context.ActivationServices, config, context);
    }
}
