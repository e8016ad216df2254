using Roundabout.Silo.Persistence.Memory;
using Roundabout.Transactions.Protocol;

namespace Roundabout.Tests.Unit;

public sealed class CommitDecisionsTests
{
    private readonly InMemoryRecordStore _store = new();

    [Fact]
    public async Task Decide_FirstProposal_Wins()
    {
        var decisions = new CommitDecisions(_store);
        var transaction = Guid.NewGuid();

        Assert.Equal(Decision.Commit, await decisions.DecideAsync(transaction, Decision.Commit));
        Assert.Equal(Decision.Commit, await decisions.DecideAsync(transaction, Decision.Abort));
    }

    [Fact]
    public async Task Decide_AbortFirst_CommitLearnsAbort()
    {
        var decisions = new CommitDecisions(_store);
        var transaction = Guid.NewGuid();

        Assert.Equal(Decision.Abort, await decisions.DecideAsync(transaction, Decision.Abort));
        Assert.Equal(Decision.Abort, await decisions.DecideAsync(transaction, Decision.Commit));
    }

    [Fact]
    public async Task Decide_ConcurrentProposals_AllLearnTheSameDecision()
    {
        var decisions = new CommitDecisions(_store);
        var transaction = Guid.NewGuid();

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 32).Select(i =>
            Task.Run(() => decisions.DecideAsync(transaction, i % 2 == 0 ? Decision.Commit : Decision.Abort))));

        Assert.Single(outcomes.Distinct());
    }

    [Fact]
    public async Task Forget_RemovesTheRecord()
    {
        var decisions = new CommitDecisions(_store);
        var transaction = Guid.NewGuid();
        await decisions.DecideAsync(transaction, Decision.Commit);

        await decisions.ForgetAsync(transaction);

        Assert.Null(await _store.ReadAsync(CommitDecisions.KeyOf(transaction)));
    }
}
