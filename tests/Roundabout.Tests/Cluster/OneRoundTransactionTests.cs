using Roundabout.Records;
using Roundabout.Tests.Infrastructure;
using Roundabout.Tests.TestGrains;
using Roundabout.Transactions;
using Roundabout.Transactions.OneRound;

namespace Roundabout.Tests.Cluster;

/// <summary>
/// One-round transactions (<see cref="IRoundaboutTransactions.RunOneRoundAsync"/>) run from a
/// client. A prepared write that is never told its outcome would hold its grain for the whole
/// resolution time-out (set to ten minutes here), so a read that returns shows that nothing was
/// left prepared.
/// </summary>
public sealed class OneRoundTransactionTests : IAsyncLifetime
{
    private static readonly TimeSpan Prompt = TimeSpan.FromSeconds(20);

    private RoundaboutCluster _cluster = null!;

    private IRoundaboutTransactions Transactions => _cluster.Transactions;

    public async Task InitializeAsync() =>
        _cluster = await RoundaboutCluster.StartAsync(configure: options => options.PreparedResolutionTimeout = TimeSpan.FromMinutes(10));

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    private ITallyGrain Tally(string key) => _cluster.Grains.GetGrain<ITallyGrain>(key);

    private Task<int> TotalOf(string key) => Tally(key).GetTotal().WaitAsync(Prompt);

    [Fact]
    public async Task Parts_AllValid_CommitTogether()
    {
        var (x, y) = (Keys.New("tally"), Keys.New("tally"));

        await Transactions.RunOneRoundAsync(round => [Tally(x).AddInRound(round, 5), Tally(y).AddInRound(round, 7)]);

        Assert.Equal(5, await TotalOf(x));
        Assert.Equal(7, await TotalOf(y));
        Assert.Equal(12, await Transactions.RunAsync(
            async () => await Tally(x).GetTotal() + await Tally(y).GetTotal(),
            TransactionOptions.ReadOnlySnapshot));
    }

    [Fact]
    public async Task Part_Throws_TheCallerGetsItsExceptionAndTheOtherPartIsReleased()
    {
        var (x, y) = (Keys.New("tally"), Keys.New("tally"));
        await Task.WhenAll(TotalOf(x), TotalOf(y)); // active already, so that x's part prepares at the first attempt

        var attempts = 0;
        await Assert.ThrowsAsync<TallyFailedException>(() => Transactions.RunOneRoundAsync(round =>
        {
            attempts++;
            return [Tally(x).AddInRound(round, 5), Tally(y).AddInRoundThenThrow(round, 7)];
        }));

        Assert.Equal(1, attempts); // the part's own exception is not a conflict: no second attempt

        // x's part prepared its write; only the abort can release it before ten minutes are up.
        Assert.Equal(0, await TotalOf(x));
        Assert.Equal(0, await TotalOf(y));
        await Transactions.RunOneRoundAsync(round => [Tally(x).AddInRound(round, 1)]).WaitAsync(Prompt);
        Assert.Equal(1, await TotalOf(x));
    }

    [Fact]
    public async Task Part_ReadBySnapshotAboveItsTimestamp_IsRefusedOnEveryAttemptAndNothingCommits()
    {
        var x = Keys.New("tally");
        await Tally(x).Add(1);
        var attempts = 0;

        // Each attempt's write would commit at its ticket's timestamp, below a snapshot that has
        // already read the tally: serializability forbids it, whatever the retries.
        async Task<PreparedPart> ReadAboveThenAdd(OneRoundTicket round)
        {
            await Transactions.RunAsync(() => Tally(x).GetTotal(), TransactionOptions.ReadOnlySnapshot);
            return await Tally(x).AddInRound(round, 5);
        }

        var error = await Assert.ThrowsAsync<TransactionConflictException>(() => Transactions.RunOneRoundAsync(round =>
        {
            attempts++;
            return [ReadAboveThenAdd(round)];
        }));

        Assert.Contains("already read", error.Message);
        Assert.Equal(3, attempts);
        Assert.Equal(1, await TotalOf(x));
    }

    [Fact]
    public async Task Parts_OnGrainsThatActivateDuringTheRound_CommitAfterARetry()
    {
        var (x, y) = (Keys.New("tally"), Keys.New("tally"));
        var attempts = 0;

        // A fresh activation starts above every timestamp handed out before it, the ticket's too.
        await Transactions.RunOneRoundAsync(round =>
        {
            attempts++;
            return [Tally(x).AddInRound(round, 2), Tally(y).AddInRound(round, 3)];
        });

        Assert.True(attempts > 1, "the first attempt should have met the new activations' floor");
        Assert.Equal(2, await TotalOf(x));
        Assert.Equal(3, await TotalOf(y));
    }

    [Fact]
    public async Task Part_CallingAnotherGrainTransactionally_IsRefusedAndNothingTakesEffect()
    {
        var (x, y) = (Keys.New("tally"), Keys.New("tally"));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            Transactions.RunOneRoundAsync(round => [Tally(x).AddInRoundAndForward(round, y, 4)]));

        Assert.Contains("one-round part cannot call", error.Message);
        Assert.Equal(0, await TotalOf(x));
        Assert.Equal(0, await TotalOf(y));
    }

    [Fact]
    public async Task TwoPartsOnOneGrain_AreRefusedAndNothingTakesEffect()
    {
        var x = Keys.New("tally");
        await Tally(x).Add(1);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            Transactions.RunOneRoundAsync(round => [Tally(x).AddInRound(round, 2), Tally(x).AddInRound(round, 3)]));

        Assert.Contains("calls each grain once", error.Message);
        Assert.Equal(1, await TotalOf(x));
    }

    [Fact]
    public async Task Parts_ReturnTheirResults_InTheOrderOfTheCalls()
    {
        var (x, y) = (Keys.New("record"), Keys.New("record"));
        var (recordX, recordY) = (_cluster.Grains.GetGrain<IRecordGrain>(x), _cluster.Grains.GetGrain<IRecordGrain>(y));
        await recordY.Put([7]);

        var parts = await Transactions.RunOneRoundAsync(round => [recordX.PutInRound(round, [1, 2]), recordY.GetInRound(round)]);

        Assert.Equal(1, parts[0].ResultAs<long>());
        Assert.Equal(new byte[] { 7 }, parts[1].ResultAs<VersionedValue>().Value);
        Assert.Throws<InvalidCastException>(() => parts[1].ResultAs<long>());
        Assert.Equal(new byte[] { 1, 2 }, (await recordX.Get().WaitAsync(Prompt)).Value);
    }

    [Fact]
    public async Task Part_WithBadInput_ThrowsItsArgumentErrorAndNothingTakesEffect()
    {
        var (x, y) = (Keys.New("record"), Keys.New("record"));
        var (recordX, recordY) = (_cluster.Grains.GetGrain<IRecordGrain>(x), _cluster.Grains.GetGrain<IRecordGrain>(y));
        await Task.WhenAll(recordX.Put([1]), recordY.Put([1]));

        await Assert.ThrowsAnyAsync<ArgumentException>(() =>
            Transactions.RunOneRoundAsync(round => [recordX.PutInRound(round, [2]), recordY.PutInRound(round, null!)]));

        Assert.Equal(new byte[] { 1 }, (await recordX.Get().WaitAsync(Prompt)).Value);
        Assert.Equal(new byte[] { 1 }, (await recordY.Get().WaitAsync(Prompt)).Value);
    }

    [Fact]
    public async Task NullAmongTheCalls_IsAnArgumentErrorAndTheCallMadeBesideItIsReleased()
    {
        var x = Keys.New("tally");
        await TotalOf(x); // active already, so that its part prepares

        var error = await Assert.ThrowsAsync<ArgumentException>(() => Transactions.RunOneRoundAsync(round => [Tally(x).AddInRound(round, 5), null!]));

        Assert.Contains("null as call 1", error.Message);
        // x's part prepared its write; only the abort can release it before ten minutes are up.
        Assert.Equal(0, await TotalOf(x));
    }

    [Fact]
    public async Task BadArguments_AreRefusedBeforeAnythingRuns()
    {
        var x = Keys.New("tally");
        var called = false;
        IReadOnlyCollection<Task<PreparedPart>> Parts(OneRoundTicket round)
        {
            called = true;
            return [Tally(x).AddInRound(round, 1)];
        }

        await Assert.ThrowsAsync<ArgumentException>(() => Transactions.RunOneRoundAsync(Parts, TransactionOptions.ReadOnlySnapshot));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Transactions.RunOneRoundAsync(Parts, new TransactionOptions((IsolationLevel)7)));
        await Assert.ThrowsAsync<ArgumentNullException>(() => Transactions.RunOneRoundAsync(null!));
        await Assert.ThrowsAsync<ArgumentException>(() => Transactions.RunOneRoundAsync(_ => []));

        Assert.False(called);
        Assert.Equal(0, await TotalOf(x));
    }
}
