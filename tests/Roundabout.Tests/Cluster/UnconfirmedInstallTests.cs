using System.Diagnostics;
using Orleans.Transactions;
using Roundabout.Tests.Infrastructure;
using Roundabout.Tests.TestGrains;
using Roundabout.Transactions.Protocol;

namespace Roundabout.Tests.Cluster;

/// <summary>
/// The bookkeeping of installs sent and not yet confirmed: confirmations, answers and resending
/// rounds race, and exactly one of them settles a transaction. The cluster only makes grain
/// references; nothing is called.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class UnconfirmedInstallTests(ClusterFixture fixture)
{
    private const int Rounds = 3;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);
    private static readonly RecordedDecision Commit = new(Decision.Commit, "etag");
    private readonly long _sentAt = Stopwatch.GetTimestamp();

    [Fact]
    public void Confirm_EachWriterOnce_SettlesOnTheLastAndNotAgain()
    {
        var (writers, install) = Track(oneWay: [true, true]);

        Assert.False(install.Confirm(Grain(writers[0]), writers[0].Name));
        Assert.False(install.Confirm(Grain(writers[0]), writers[0].Name));
        Assert.False(install.Confirm(Grain(writers[0]), "another state"));
        Assert.True(install.Confirm(Grain(writers[1]), writers[1].Name));
        Assert.False(install.Confirm(Grain(writers[1]), writers[1].Name));
        Assert.Empty(install.TakeDue(After(Timeout * 100), Rounds, out var gaveUp));
        Assert.False(gaveUp);
    }

    [Fact]
    public void TakeDue_OnlyAfterTheTimeout_AndOnlyTheOneWayWritersNotTheCallsInFlight()
    {
        var (_, install) = Track(oneWay: [true, false]);

        Assert.Empty(install.TakeDue(After(Timeout * 0.9), Rounds, out _));
        Assert.Equal([0], install.TakeDue(After(Timeout), Rounds, out var gaveUp));
        Assert.False(gaveUp);
        Assert.Empty(install.TakeDue(After(Timeout * 100), Rounds, out _)); // both are calls in flight now
    }

    [Fact]
    public void Confirmation_ArrivingLateWhileItsInstallIsSentAgain_CountsAndTheAnswerAfterItChangesNothing()
    {
        var (writers, install) = Track(oneWay: [true, false]);
        Assert.Equal([0], install.TakeDue(After(Timeout), Rounds, out _));

        Assert.False(install.Confirm(Grain(writers[0]), writers[0].Name));
        Assert.True(install.Answered(1, installed: true));
        Assert.False(install.Answered(0, installed: true));
    }

    [Fact]
    public void FailedCall_IsDueAgainInTheNextRound_AfterTwiceTheWait()
    {
        var (_, install) = Track(oneWay: [true, true]);
        Assert.Equal([0, 1], install.TakeDue(After(Timeout), Rounds, out _));
        Assert.False(install.Answered(0, installed: false));
        Assert.False(install.Answered(1, installed: true));

        Assert.Empty(install.TakeDue(After(Timeout + (Timeout * 1.9)), Rounds, out _));
        Assert.Equal([0], install.TakeDue(After(Timeout + (Timeout * 2)), Rounds, out var gaveUp));
        Assert.False(gaveUp);
        Assert.True(install.Answered(0, installed: true));
    }

    [Fact]
    public void NeverConfirmed_GivesUpAfterTheLastRound_AndThenNothingSettlesItAgain()
    {
        var (writers, install) = Track(oneWay: [true]);
        var elapsed = TimeSpan.Zero;
        var wait = Timeout;
        for (var round = 1; round <= Rounds; round++)
        {
            elapsed += wait;
            wait *= 2;
            Assert.Equal([0], install.TakeDue(After(elapsed), Rounds, out var gaveUp));
            Assert.False(gaveUp, $"gave up in round {round}");
            Assert.False(install.Answered(0, installed: false));
        }

        Assert.Empty(install.TakeDue(After(elapsed + wait), Rounds, out var finallyGaveUp));
        Assert.True(finallyGaveUp);
        Assert.False(install.Confirm(Grain(writers[0]), writers[0].Name));
        Assert.Empty(install.TakeDue(After(elapsed + (wait * 10)), Rounds, out var gaveUpTwice));
        Assert.False(gaveUpTwice);
    }

    private static GrainId Grain(ParticipantId writer) => writer.Reference.GetGrainId();

    private (ParticipantId[] Writers, UnconfirmedInstall Install) Track(bool[] oneWay)
    {
        var writers = oneWay.Select(_ => new ParticipantId("tally", (GrainReference)fixture.Cluster.Grains.GetGrain<ITallyGrain>(Keys.New("tally")), ParticipantId.Role.Resource)).ToArray();
        var sentOneWay = writers.Zip(oneWay).ToDictionary(pair => pair.First.Reference.GetGrainId(), pair => pair.Second);
        return (writers, new UnconfirmedInstall(7, Commit, writers, writer => sentOneWay[writer.Reference.GetGrainId()], _sentAt, Timeout));
    }

    private long After(TimeSpan elapsed) => _sentAt + (long)(elapsed.TotalSeconds * Stopwatch.Frequency);
}
