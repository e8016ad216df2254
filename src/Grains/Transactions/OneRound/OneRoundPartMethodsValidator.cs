using System.Reflection;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using Orleans.Configuration;

namespace Roundabout.Transactions.OneRound;

/// <summary>
/// Refuses to start a silo with a one-round part method (one that returns <see cref="PreparedPart"/>)
/// that would wait for its grain's turn. A part prepares before its sibling parts have run, and
/// its prepared write makes readers wait for the outcome. If a part queued behind a call that is
/// itself waiting for that outcome, neither could go on until the prepared write timed out. So
/// a part method must be <c>[AlwaysInterleave]</c>, or its grain class <c>[Reentrant]</c>.
/// </summary>
internal sealed class OneRoundPartMethodsValidator(IOptions<GrainTypeOptions> grainTypes) : IConfigurationValidator
{
    public void ValidateConfiguration()
    {
        var offenders = BlockingPartMethods(grainTypes.Value.Interfaces, grainTypes.Value.Classes).ToList();
        if (offenders.Count > 0)
        {
            throw new OrleansConfigurationException(
                $"One-round part methods must be [AlwaysInterleave] (or their grain class [Reentrant]): {string.Join(", ", offenders)}. "
                + "A part that waits for its grain's turn can wait for a call that is itself waiting for the part's own transaction.");
        }
    }

    /// <summary>Part methods, as "Interface.Method", that a non-reentrant grain class would run one turn at a time.</summary>
    internal static IEnumerable<string> BlockingPartMethods(IEnumerable<Type> interfaces, IEnumerable<Type> classes)
    {
        var grainClasses = classes.ToList();
        foreach (var grainInterface in interfaces)
        {
            foreach (var method in grainInterface.GetMethods())
            {
                if (!ReturnsPart(method.ReturnType) || method.IsDefined(typeof(AlwaysInterleaveAttribute), inherit: true))
                {
                    continue;
                }

                var implementations = grainClasses.Where(grainInterface.IsAssignableFrom).ToList();
                if (implementations.Count == 0 || !implementations.All(grainClass => grainClass.IsDefined(typeof(ReentrantAttribute), inherit: true)))
                {
                    yield return $"{grainInterface.Name}.{method.Name}";
                }
            }
        }
    }

    private static bool ReturnsPart(Type returnType) =>
        returnType == typeof(Task<PreparedPart>) || returnType == typeof(ValueTask<PreparedPart>);
}
