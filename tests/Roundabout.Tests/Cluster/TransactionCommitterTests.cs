using Orleans.Transactions;
using Roundabout.Tests.Infrastructure;
using Roundabout.Tests.TestGrains;
using Roundabout.Transactions;
using Roundabout.Transactions.Protocol;

namespace Roundabout.Tests.Cluster;

/// <summary>
/// Orleans' <c>[TransactionCommitter]</c> on Roundabout: the committer's operation runs once, after
/// every other participant has prepared, with the transaction's id, and its answer decides the
/// transaction: <c>true</c> commits, <c>false</c> aborts (not as a conflict: a retry would ask the
/// same), an exception reports "in doubt" with the transaction's own changes rolled back.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class TransactionCommitterTests(ClusterFixture fixture)
{
    private RoundaboutCluster Cluster => fixture.Cluster;

    [Fact]
    public async Task OperationAccepts_TheWritesCommitAndTheServiceIsCalledOnceWithTheTransactionId()
    {
        var (payment, a, b) = NewPayment();
        TallyObservation? seen = null;

        await Run(async () =>
        {
            await Committer().Pay(payment);
            seen = await a.AddJoined(5);
            await b.AddJoined(7);
        });

        Assert.Equal(new[] { 5, 7 }, await Totals(a, b));
        var call = Assert.Single(RecordingPaymentService.CallsFor(payment.Reference));
        Assert.Equal(payment.Amount, call.Amount);
        Assert.Equal(seen!.TransactionId, call.TransactionId.ToString());
    }

    [Fact]
    public async Task OperationDeclines_AbortedButNotAsARetryableConflict_AndNothingChanges()
    {
        var (payment, a, b) = NewPayment(PaymentAnswer.Decline);

        var aborted = await Assert.ThrowsAsync<OrleansTransactionAbortedException>(() => PayAndAdd(payment, a, b));

        Assert.IsNotAssignableFrom<OrleansTransactionTransientFailureException>(aborted);
        Assert.Contains("declined", aborted.Message, StringComparison.Ordinal);
        Assert.Equal(new[] { 0, 0 }, await Totals(a, b));
        var call = Assert.Single(RecordingPaymentService.CallsFor(payment.Reference));

        // A declined payment is an ordinary outcome: its decision record does not stay for good.
        var decision = CommitDecisions.KeyOf(call.TransactionId);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (await Cluster.Store.ReadAsync(decision) is not null)
        {
            Assert.True(DateTime.UtcNow < deadline, $"the decision record {decision} of a declined transaction was never removed");
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task OperationThrows_InDoubt_AndTheTransactionsOwnChangesAreRolledBack()
    {
        var (payment, a, b) = NewPayment(PaymentAnswer.Throw);

        var inDoubt = await Assert.ThrowsAsync<OrleansTransactionInDoubtException>(() => PayAndAdd(payment, a, b));

        Assert.True(inDoubt.Message.Contains("payment service is down", StringComparison.Ordinal), inDoubt.ToString());
        Assert.Equal(new[] { 0, 0 }, await Totals(a, b));

        // The next transaction on the same states is not held up by anything left behind.
        await Run(async () =>
        {
            await a.AddJoined(1);
            await b.AddJoined(1);
        });
        Assert.Equal(new[] { 1, 1 }, await Totals(a, b));
    }

    [Fact]
    public async Task AParticipantRefusesPrepare_TheOperationNeverRuns()
    {
        var (payment, a, b) = NewPayment();

        await Assert.ThrowsAsync<TransactionConflictException>(() => Run(async () =>
        {
            await Committer().Pay(payment);
            await a.AddJoined(5);
            await b.AddJoined(7);

            // Commits on its own before this transaction does: a's write above now conflicts.
            await a.AddInNewTransaction(100);
        }));

        Assert.Empty(RecordingPaymentService.CallsFor(payment.Reference));
        Assert.Equal(new[] { 100, 0 }, await Totals(a, b));
    }

    [Theory]
    [InlineData(PaymentAnswer.Accept)]
    [InlineData(PaymentAnswer.Decline)]
    [InlineData(PaymentAnswer.Throw)]
    public async Task TheCommitterIsTheOnlyWriter_ItsAnswerDecidesAlone(PaymentAnswer answer)
    {
        var (payment, a, _) = NewPayment(answer);

        var run = Run(async () =>
        {
            await a.GetTotal();
            await Committer().Pay(payment);
        });

        switch (answer)
        {
            case PaymentAnswer.Accept:
                await run;
                break;
            case PaymentAnswer.Decline:
                Assert.IsNotAssignableFrom<OrleansTransactionTransientFailureException>(await Assert.ThrowsAsync<OrleansTransactionAbortedException>(() => run));
                break;
            default:
                await Assert.ThrowsAsync<OrleansTransactionInDoubtException>(() => run);
                break;
        }

        Assert.Single(RecordingPaymentService.CallsFor(payment.Reference));
    }

    [Fact]
    public async Task TwoCommittersInOneTransaction_AbortedWithAMessage_AndNeitherOperationRuns()
    {
        var (first, a, _) = NewPayment();
        var second = first with { Reference = Keys.New("payment") };

        var refusal = await Assert.ThrowsAsync<OrleansTransactionAbortedException>(() => Run(async () =>
        {
            await Committer().Pay(first);
            await Committer().Pay(second);
            await a.AddJoined(5);
        }));

        Assert.Contains("at most one", refusal.Message, StringComparison.Ordinal);
        Assert.Empty(RecordingPaymentService.CallsFor(first.Reference));
        Assert.Empty(RecordingPaymentService.CallsFor(second.Reference));
        Assert.Equal(new[] { 0 }, await Totals(a));
    }

    [Fact]
    public async Task TwoOperationsAtOneCommitter_TheSecondReplacesTheFirst()
    {
        var (first, a, _) = NewPayment();
        var second = first with { Reference = Keys.New("payment"), Amount = 99 };

        await Run(async () =>
        {
            await Committer().PayTwice(first, second);
            await a.AddJoined(5);
        });

        Assert.Empty(RecordingPaymentService.CallsFor(first.Reference));
        Assert.Equal(99, Assert.Single(RecordingPaymentService.CallsFor(second.Reference)).Amount);
    }

    [Fact]
    public async Task ReadOnlyTransaction_RefusesTheOperation()
    {
        var (payment, _, _) = NewPayment();

        await Assert.ThrowsAnyAsync<OrleansTransactionException>(() => Committer().PayInReadOnly(payment));

        Assert.Empty(RecordingPaymentService.CallsFor(payment.Reference));
    }

    private (Payment Payment, ITallyGrain A, ITallyGrain B) NewPayment(PaymentAnswer answer = PaymentAnswer.Accept) =>
        (new Payment(Keys.New("payment"), 42, answer),
         Cluster.Grains.GetGrain<ITallyGrain>(Keys.New("tally")),
         Cluster.Grains.GetGrain<ITallyGrain>(Keys.New("tally")));

    /// <summary>One transaction: the payment through a new committer, 5 added to a and 7 to b.</summary>
    private Task PayAndAdd(Payment payment, ITallyGrain a, ITallyGrain b) => Run(async () =>
    {
        await Committer().Pay(payment);
        await a.AddJoined(5);
        await b.AddJoined(7);
    });

    private ICommitterGrain Committer() => Cluster.Grains.GetGrain<ICommitterGrain>(Keys.New("payer"));

    private Task Run(Func<Task> body) => Cluster.TransactionClient.RunTransaction(TransactionOption.Create, body);

    private static async Task<int[]> Totals(params ITallyGrain[] tallies) => await Task.WhenAll(tallies.Select(tally => tally.GetTotal()));
}
