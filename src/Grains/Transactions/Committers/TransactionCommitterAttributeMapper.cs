using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Transactions.Abstractions;

namespace Roundabout.Transactions.Committers;

/// <summary>Creates a <see cref="RoundaboutTransactionCommitter{TService}"/> for each <c>[TransactionCommitter]</c> parameter (replaces Orleans' mapper).</summary>
internal sealed class TransactionCommitterAttributeMapper : IAttributeToFactoryMapper<TransactionCommitterAttribute>
{
    public Factory<IGrainContext, object> GetFactory(ParameterInfo parameter, TransactionCommitterAttribute attribute)
    {
        if (!parameter.ParameterType.IsGenericType || parameter.ParameterType.GetGenericTypeDefinition() != typeof(ITransactionCommitter<>))
        {
            throw new InvalidOperationException($"[TransactionCommitter] goes on a parameter of type ITransactionCommitter<TService>, not {parameter.ParameterType}.");
        }

        var committerType = typeof(RoundaboutTransactionCommitter<>).MakeGenericType(parameter.ParameterType.GetGenericArguments());
        return context => ActivatorUtilities.CreateInstance(context.ActivationServices, committerType, attribute, context);
    }
}
