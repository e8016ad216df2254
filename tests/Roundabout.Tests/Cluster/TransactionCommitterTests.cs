using Roundabout.Tests.Infrastructure;
using Roundabout.Tests.TestGrains;

namespace Roundabout.Tests.Cluster;

/// <summary>
/// Roundabout does not run Orleans' <c>[TransactionCommitter]</c>: a grain that takes one fails to
/// activate with a message that says what to do instead, and the silo's other grains work (this
/// cluster runs every other cluster test beside it).
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class TransactionCommitterTests(ClusterFixture fixture)
{
    [Fact]
    public async Task GrainWithACommitter_IsRefusedWithAMessageThatNamesItAndSaysWhatToDo()
    {
        var grain = fixture.Cluster.Grains.GetGrain<ICommitterGrain>(Keys.New("payer"));

        var refusal = await Assert.ThrowsAnyAsync<Exception>(() => fixture.Cluster.TransactionClient.RunTransaction(TransactionOption.Create, () => grain.Pay(10)));

        var notSupported = Assert.IsType<NotSupportedException>(Innermost(refusal));
        Assert.Contains("CommitterGrain(payments)", notSupported.Message, StringComparison.Ordinal);
        Assert.Contains("idempotency key", notSupported.Message, StringComparison.Ordinal);
    }

    private static Exception Innermost(Exception exception)
    {
        while (exception.InnerException is { } inner)
        {
            exception = inner;
        }

        return exception;
    }
}
