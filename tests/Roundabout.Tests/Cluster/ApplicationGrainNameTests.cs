using Roundabout.Client.Library;
using Roundabout.Tests.Infrastructure;
using Roundabout.Tests.TestGrains.ApplicationNamed;

namespace Roundabout.Tests.Cluster;

/// <summary>
/// An application that switches to Roundabout keeps its own grain names: a grain class called
/// <c>AccountGrain</c> (the usual name in Orleans' transaction samples) or
/// <c>TransactionCoordinatorGrain</c> runs beside Roundabout's grains of those class names.
/// The test cluster loads the application grains of <see cref="IApplicationNamedGrain"/>; if the
/// names clashed, it would not start at all.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ApplicationGrainNameTests(ClusterFixture fixture)
{
    [Fact]
    public async Task ApplicationGrains_NamedLikeRoundabouts_AnswerBesideThem()
    {
        var grains = fixture.Cluster.Grains;
        var answers = await Task.WhenAll(
            grains.GetGrain<IAccountGrain>("a").Who(),
            grains.GetGrain<IBankGrain>("a").Who(),
            grains.GetGrain<IRecordGrain>("a").Who(),
            grains.GetGrain<ITransferReceiptGrain>("a").Who(),
            grains.GetGrain<ITimestampOracleGrain>("a").Who(),
            grains.GetGrain<ITransactionCoordinatorGrain>("a").Who());

        Assert.Equal(["AccountGrain", "BankGrain", "RecordGrain", "TransferReceiptGrain", "TimestampOracleGrain", "TransactionCoordinatorGrain"], answers);

        // Roundabout's own grains of those names still work: a transfer (bank, accounts, oracle,
        // coordinator), a receipt (idempotency key) and a record.
        var client = new RoundaboutClient(grains, fixture.Cluster.Transactions);
        var (from, to) = (Keys.New("from"), Keys.New("to"));
        await client.DepositAsync(from, 100);
        await client.TransferAsync(from, to, 40, idempotencyKey: Keys.New("key"));
        await client.PutAsync(Keys.New("record"), [1, 2, 3]);
        Assert.Equal(40, await client.GetBalanceAsync(to));
    }
}
