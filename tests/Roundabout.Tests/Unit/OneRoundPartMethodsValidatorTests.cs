using Orleans.Concurrency;
using Roundabout.Transactions.OneRound;

namespace Roundabout.Tests.Unit;

/// <summary>Part methods that could wait for their grain's turn are refused at silo start.</summary>
public sealed class OneRoundPartMethodsValidatorTests
{
    // Plain interfaces and classes, not grains: the cluster tests' silos must not see them.
    public interface IInterleavingParts
    {
        [AlwaysInterleave]
        Task<PreparedPart> Part(OneRoundTicket round);

        Task<int> NotAPart();
    }

    public interface IBlockingParts
    {
        Task<PreparedPart> Part(OneRoundTicket round);
    }

    public interface IPartsOfAReentrantGrain
    {
        ValueTask<PreparedPart> Part(OneRoundTicket round);
    }

    public sealed class BlockingGrain : IBlockingParts
    {
        public Task<PreparedPart> Part(OneRoundTicket round) => throw new NotSupportedException();
    }

    [Reentrant]
    public sealed class ReentrantGrain : IPartsOfAReentrantGrain
    {
        public ValueTask<PreparedPart> Part(OneRoundTicket round) => throw new NotSupportedException();
    }

    [Fact]
    public void BlockingPartMethods_NamesOnlyPartsThatRunOneTurnAtATime()
    {
        var offenders = OneRoundPartMethodsValidator.BlockingPartMethods(
            [typeof(IInterleavingParts), typeof(IBlockingParts), typeof(IPartsOfAReentrantGrain)],
            [typeof(BlockingGrain), typeof(ReentrantGrain)]);

        Assert.Equal(["IBlockingParts.Part"], offenders);
    }

    [Fact]
    public void BlockingPartMethods_ThisRepositorysGrains_AllInterleave()
    {
        var assemblies = new[] { typeof(Roundabout.Accounts.IAccountGrain).Assembly, typeof(OneRoundPartMethodsValidatorTests).Assembly, typeof(Roundabout.Client.Benchmarks.IPingGrain).Assembly };
        var types = assemblies.SelectMany(assembly => assembly.GetTypes()).Where(type => typeof(IGrain).IsAssignableFrom(type)).ToList();

        Assert.Empty(OneRoundPartMethodsValidator.BlockingPartMethods(types.Where(type => type.IsInterface), types.Where(type => type.IsClass)));
    }
}
