using Orleans.Transactions;
using Roundabout.Tests.Infrastructure;
using Roundabout.Tests.TestGrains;

namespace Roundabout.Tests.Cluster;

/// <summary>
/// A transaction committer's operation may outlast the participants' resolution time-out: while it
/// runs, participants that wait for the transaction do not presume abort (the decision record says
/// Committing), and an operation that outlasts its own time-out leaves the caller in doubt with the
/// transaction's own changes rolled back, and nothing held.
/// </summary>
public sealed class CommitOperationTimingTests : IAsyncLifetime
{
    private static readonly TimeSpan ResolutionTimeout = TimeSpan.FromMilliseconds(300);
    private static readonly TimeSpan OperationTimeout = TimeSpan.FromSeconds(3);

    private RoundaboutCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await RoundaboutCluster.StartAsync(configure: options =>
    {
        options.PreparedResolutionTimeout = ResolutionTimeout;
        options.CommitOperationTimeout = OperationTimeout;
    });

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task OperationOutlastsTheResolutionTimeout_AWaitingReaderDoesNotPresumeAbort_AndSeesTheCommit()
    {
        var payment = new Payment(Keys.New("payment"), 42, Delay: ResolutionTimeout * 5);
        var (a, b) = Tallies();

        var transaction = Run(async () =>
        {
            await Committer().Pay(payment);
            await a.AddJoined(5);
            await b.AddJoined(7);
        });

        // Once the operation runs, both writes are prepared; a snapshot taken now waits for them,
        // and its wait times out (and asks the decision record) several times before the answer.
        await WaitUntil(() => RecordingPaymentService.CallsFor(payment.Reference).Count == 1);
        var seen = await a.GetTotal();

        await transaction;
        Assert.Equal(5, seen);
        Assert.Equal(new[] { 5, 7 }, await Task.WhenAll(a.GetTotal(), b.GetTotal()));
    }

    [Fact]
    public async Task OperationOutlastsItsOwnTimeout_InDoubt_TheChangesAreRolledBack_AndTheStatesAreFree()
    {
        var payment = new Payment(Keys.New("payment"), 42, Delay: OperationTimeout * 2);
        var (a, b) = Tallies();

        var inDoubt = await Assert.ThrowsAsync<OrleansTransactionInDoubtException>(() => Run(async () =>
        {
            await Committer().Pay(payment);
            await a.AddJoined(5);
            await b.AddJoined(7);
        }));

        Assert.Contains("did not answer within", inDoubt.Message, StringComparison.Ordinal);
        Assert.Equal(new[] { 0, 0 }, await Task.WhenAll(a.GetTotal(), b.GetTotal()));
        await Run(async () =>
        {
            await a.AddJoined(1);
            await b.AddJoined(1);
        });
        Assert.Equal(new[] { 1, 1 }, await Task.WhenAll(a.GetTotal(), b.GetTotal()));
    }

    /// <summary>With no other writer the operation decides the transaction by itself; its time-out holds there too.</summary>
    [Fact]
    public async Task OnlyWriterOperationOutlastsItsOwnTimeout_InDoubtOnceTheTimeoutHasPassed()
    {
        var payment = new Payment(Keys.New("payment"), 42, Delay: OperationTimeout * 5);
        var started = System.Diagnostics.Stopwatch.StartNew();

        var inDoubt = await Assert.ThrowsAsync<OrleansTransactionInDoubtException>(() => Run(() => Committer().Pay(payment)));

        Assert.Contains("did not answer within", inDoubt.Message, StringComparison.Ordinal);
        Assert.True(started.Elapsed < OperationTimeout * 4, $"the caller heard after {started.Elapsed}, not after the operation's time-out of {OperationTimeout}");
    }

    private (ITallyGrain A, ITallyGrain B) Tallies() =>
        (_cluster.Grains.GetGrain<ITallyGrain>(Keys.New("tally")), _cluster.Grains.GetGrain<ITallyGrain>(Keys.New("tally")));

    private ICommitterGrain Committer() => _cluster.Grains.GetGrain<ICommitterGrain>(Keys.New("payer"));

    private Task Run(Func<Task> body) => _cluster.TransactionClient.RunTransaction(TransactionOption.Create, body);

    private static async Task WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting for the commit operation to start");
            await Task.Delay(10);
        }
    }
}
