using Orleans.Transactions.Abstractions;
using Roundabout.Hosting;

namespace Roundabout.Tests.Unit;

/// <summary>A silo whose grains take an Orleans transaction committer is refused at start, naming them.</summary>
public sealed class TransactionCommitterValidatorTests
{
    public interface IExternalService;

    // Plain classes, not grains: the cluster tests' silos must not see them.
    public sealed class GrainWithACommitter([TransactionCommitter("payments")] ITransactionCommitter<IExternalService> payments)
    {
        public ITransactionCommitter<IExternalService> Payments => payments;
    }

    public sealed class GrainWithoutOne(string name)
    {
        public string Name => name;
    }

    [Fact]
    public void CommitterParameters_NamesTheGrainsAndParametersThatAskForOne()
    {
        Assert.Equal(["GrainWithACommitter(payments)"], TransactionCommitterValidator.CommitterParameters([typeof(GrainWithACommitter), typeof(GrainWithoutOne)]));
    }

    [Fact]
    public void ValidateConfiguration_ACommitter_RefusesTheSiloAndSaysWhatToDoInstead()
    {
        var options = Microsoft.Extensions.Options.Options.Create(new Orleans.Configuration.GrainTypeOptions());
        options.Value.Classes.Add(typeof(GrainWithACommitter));

        var refusal = Assert.Throws<OrleansConfigurationException>(() => new TransactionCommitterValidator(options).ValidateConfiguration());

        Assert.Contains("GrainWithACommitter(payments)", refusal.Message);
        Assert.Contains("idempotency key", refusal.Message);
    }

    [Fact]
    public void ValidateConfiguration_ThisRepositorysGrains_Pass()
    {
        var options = Microsoft.Extensions.Options.Options.Create(new Orleans.Configuration.GrainTypeOptions());
        foreach (var type in new[] { typeof(Roundabout.Accounts.AccountGrain).Assembly, typeof(TransactionCommitterValidatorTests).Assembly }.SelectMany(assembly => assembly.GetTypes()))
        {
            if (type.IsClass && typeof(IGrain).IsAssignableFrom(type))
            {
                options.Value.Classes.Add(type);
            }
        }

        new TransactionCommitterValidator(options).ValidateConfiguration();
    }
}
