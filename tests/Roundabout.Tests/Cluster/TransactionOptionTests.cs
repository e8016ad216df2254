using Orleans.Transactions;
using Roundabout.Tests.Infrastructure;
using Roundabout.Tests.TestGrains;
using Roundabout.Transactions;

namespace Roundabout.Tests.Cluster;

/// <summary>
/// Orleans' transactional programming model on Roundabout: each <see cref="TransactionOption"/>,
/// nested and fan-out calls, exceptions inside transactions, <see cref="ITransactionClient"/> and
/// <c>[ReadOnly]</c> methods, through the test grain <see cref="ITallyGrain"/>.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class TransactionOptionTests(ClusterFixture fixture)
{
    private IRoundaboutTransactions Transactions => fixture.Cluster.Transactions;

    private ITransactionClient TransactionClient => fixture.Cluster.TransactionClient;

    private static string AmbientTransactionId =>
        TransactionContext.GetTransactionInfo()?.Id ?? throw new InvalidOperationException("The body runs outside a transaction.");

    [Fact]
    public async Task CreateOrJoin_OutsideTransaction_RunsAndCommitsItsOwnTransaction()
    {
        var tally = Tally(Keys.New("tally"));

        var seen = await tally.Add(5);

        Assert.NotNull(seen.TransactionId);
        Assert.Equal(5, seen.Total);
        Assert.Equal(5, await tally.GetTotal());
    }

    [Fact]
    public async Task CreateOrJoin_InsideTransactionThatAborts_JoinsItAndIsRolledBack()
    {
        var tally = Tally(Keys.New("tally"));
        string? outerId = null;
        TallyObservation? seen = null;

        var error = await Record.ExceptionAsync(() => Transactions.RunAsync(async () =>
        {
            outerId = AmbientTransactionId;
            seen = await tally.Add(5);
            throw new TallyFailedException("outer gives up");
        }));

        Assert.IsType<TallyFailedException>(error);
        Assert.Equal(outerId, seen?.TransactionId);
        Assert.Equal(0, await tally.GetTotal());
    }

    [Fact]
    public async Task Join_OutsideTransaction_ThrowsNotSupportedExceptionAndWritesNothing()
    {
        var tally = Tally(Keys.New("tally"));

        await Assert.ThrowsAsync<NotSupportedException>(() => tally.AddJoined(5));

        Assert.Equal(0, await tally.GetTotal());
    }

    [Fact]
    public async Task Join_InsideTransaction_JoinsItAndCommitsWithIt()
    {
        var (a, b) = (Tally(Keys.New("tally")), Tally(Keys.New("tally")));
        string? outerId = null;

        var seen = await Transactions.RunAsync(async () =>
        {
            outerId = AmbientTransactionId;
            await a.Add(1);
            return await b.AddJoined(2);
        });

        Assert.Equal(outerId, seen.TransactionId);
        Assert.Equal((1, 2), (await a.GetTotal(), await b.GetTotal()));
    }

    [Fact]
    public async Task Join_InsideTransactionThatAborts_IsRolledBack()
    {
        var tally = Tally(Keys.New("tally"));

        await Assert.ThrowsAsync<TallyFailedException>(() => Transactions.RunAsync(async () =>
        {
            await tally.AddJoined(2);
            throw new TallyFailedException("outer gives up");
        }));

        Assert.Equal(0, await tally.GetTotal());
    }

    [Fact]
    public async Task Create_OutsideTransaction_RunsAndCommitsItsOwnTransaction()
    {
        var tally = Tally(Keys.New("tally"));

        var seen = await tally.AddInNewTransaction(3);

        Assert.NotNull(seen.TransactionId);
        Assert.Equal(3, await tally.GetTotal());
    }

    [Fact]
    public async Task Create_InsideTransactionThatAborts_StartsAnIndependentTransactionThatCommits()
    {
        var (outer, inner) = (Tally(Keys.New("tally")), Tally(Keys.New("tally")));
        string? outerId = null;
        TallyObservation? seen = null;

        var error = await Record.ExceptionAsync(() => Transactions.RunAsync(async () =>
        {
            outerId = AmbientTransactionId;
            await outer.Add(1);
            seen = await inner.AddInNewTransaction(5);
            throw new TallyFailedException("outer gives up");
        }));

        Assert.IsType<TallyFailedException>(error);
        Assert.NotNull(seen?.TransactionId);
        Assert.NotEqual(outerId, seen.TransactionId);
        Assert.Equal(0, await outer.GetTotal());
        Assert.Equal(5, await inner.GetTotal());
    }

    [Fact]
    public async Task Supported_InsideTransaction_PassesTheTransactionAlong()
    {
        var (a, b) = (Tally(Keys.New("tally")), Tally(Keys.New("tally")));
        string? outerId = null;

        var seen = await Transactions.RunAsync(async () =>
        {
            outerId = AmbientTransactionId;
            var observed = await a.AddIfSupported(3);
            await a.ForwardJoined(b.GetPrimaryKeyString(), 4);
            return observed;
        });

        Assert.Equal(outerId, seen.TransactionId);
        Assert.Equal((3, 4), (await a.GetTotal(), await b.GetTotal()));
    }

    [Fact]
    public async Task Supported_InsideTransactionThatAborts_ItsWritesAreRolledBack()
    {
        var (a, b) = (Tally(Keys.New("tally")), Tally(Keys.New("tally")));

        await Assert.ThrowsAsync<TallyFailedException>(() => Transactions.RunAsync(async () =>
        {
            await a.AddIfSupported(3);
            await a.ForwardJoined(b.GetPrimaryKeyString(), 4);
            throw new TallyFailedException("outer gives up");
        }));

        Assert.Equal((0, 0), (await a.GetTotal(), await b.GetTotal()));
    }

    [Fact]
    public async Task Supported_OutsideTransaction_RunsWithoutOne()
    {
        var (a, b) = (Tally(Keys.New("tally")), Tally(Keys.New("tally")));

        var seen = await a.AddIfSupported(3);
        await Assert.ThrowsAsync<NotSupportedException>(() => a.ForwardJoined(b.GetPrimaryKeyString(), 4));

        Assert.Null(seen.TransactionId);
        Assert.Equal((0, 0), (await a.GetTotal(), await b.GetTotal()));
    }

    [Fact]
    public async Task NotAllowed_InsideTransaction_ThrowsNotSupportedExceptionAndTheTransactionStillCommits()
    {
        var (a, b) = (Tally(Keys.New("tally")), Tally(Keys.New("tally")));
        Exception? refused = null;

        await Transactions.RunAsync(async () =>
        {
            await a.Add(1);
            refused = await Record.ExceptionAsync(() => b.NotAllowed());
        });

        Assert.IsType<NotSupportedException>(refused);
        Assert.Equal(1, await a.GetTotal());
    }

    [Fact]
    public async Task NotAllowed_OutsideTransaction_RunsWithoutOne()
    {
        Assert.Null(await Tally(Keys.New("tally")).NotAllowed());
    }

    [Fact]
    public async Task Suppress_InsideTransactionThatAborts_DoesNotJoinAndItsCalleeCommitsOnItsOwn()
    {
        var (outer, suppressed, callee) = (Tally(Keys.New("tally")), Tally(Keys.New("tally")), Tally(Keys.New("tally")));
        string? suppressedSaw = "not called";

        await Assert.ThrowsAsync<TallyFailedException>(() => Transactions.RunAsync(async () =>
        {
            await outer.Add(1);
            suppressedSaw = await suppressed.SuppressedForward(callee.GetPrimaryKeyString(), 5);
            throw new TallyFailedException("outer gives up");
        }));

        Assert.Null(suppressedSaw);
        Assert.Equal(0, await outer.GetTotal());
        Assert.Equal(5, await callee.GetTotal());
    }

    [Fact]
    public async Task Suppress_StateAccessedWithoutTransaction_ThrowsTransactionException()
    {
        var tally = Tally(Keys.New("tally"));

        var outside = await Assert.ThrowsAsync<OrleansTransactionException>(() => tally.SuppressedRead());
        // The native API unwraps Orleans' generic "aborted" wrapper and shows the cause itself.
        var inside = await Assert.ThrowsAsync<OrleansTransactionException>(() => Transactions.RunAsync(() => tally.SuppressedRead()));

        Assert.Contains("transaction context is required", outside.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("transaction context is required", inside.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Nested_GrainCallsGrainInOneTransaction_BothWritesCommit()
    {
        var (a, b) = (Tally(Keys.New("tally")), Tally(Keys.New("tally")));

        await a.AddHereAndThere(b.GetPrimaryKeyString(), 7, throwAfterwards: false);

        Assert.Equal((7, 7), (await a.GetTotal(), await b.GetTotal()));
    }

    [Fact]
    public async Task Nested_OuterGrainThrowsAfterInnerWrote_NeitherWriteIsApplied()
    {
        var (a, b) = (Tally(Keys.New("tally")), Tally(Keys.New("tally")));

        var error = await Record.ExceptionAsync(() => a.AddHereAndThere(b.GetPrimaryKeyString(), 7, throwAfterwards: true));

        AssertApplicationFailure<TallyFailedException>(error, "failed after writing both");
        Assert.Equal((0, 0), (await a.GetTotal(), await b.GetTotal()));
    }

    [Fact]
    public async Task Nested_InsideClientTransaction_BothWritesCommitAtomicallyWithTheOuterOnes()
    {
        var (a, b, c) = (Tally(Keys.New("tally")), Tally(Keys.New("tally")), Tally(Keys.New("tally")));

        await Transactions.RunAsync(async () =>
        {
            await c.Add(1);
            await a.AddHereAndThere(b.GetPrimaryKeyString(), 7, throwAfterwards: false);
        });

        Assert.Equal((7, 7, 1), (await a.GetTotal(), await b.GetTotal(), await c.GetTotal()));
    }

    [Fact]
    public async Task FanOut_TenGrainsWrittenInParallelFromTheClient_AllCommitInOneTransaction()
    {
        var tallies = TenTallies();
        string? outerId = null;

        var seen = await Transactions.RunAsync(() =>
        {
            outerId = AmbientTransactionId;
            return Task.WhenAll(tallies.Select(t => t.Add(2)));
        });

        Assert.All(seen, s => Assert.Equal(outerId, s.TransactionId));
        Assert.Equal(Enumerable.Repeat(2, 10), await Totals(tallies));
    }

    [Fact]
    public async Task FanOut_OneOfTenParallelWritesThrows_NoneIsApplied()
    {
        var tallies = TenTallies();

        var error = await Record.ExceptionAsync(() => Transactions.RunAsync(() =>
            Task.WhenAll(tallies.Select((t, i) => i == 6 ? t.AddThenThrow(2) : t.Add(2)))));

        Assert.IsType<TallyFailedException>(error);
        Assert.Equal(Enumerable.Repeat(0, 10), await Totals(tallies));
    }

    [Theory]
    [InlineData(-1, 2)]
    [InlineData(0, 0)]
    [InlineData(9, 0)]
    public async Task FanOut_GrainWritesTenGrainsInParallel_AllOrNothing(int failAt, int expectedEach)
    {
        var tallies = TenTallies();
        var root = Tally(Keys.New("tally"));

        var error = await Record.ExceptionAsync(() => root.FanOut([.. tallies.Select(t => t.GetPrimaryKeyString())], 2, failAt));

        if (failAt < 0)
        {
            Assert.Null(error);
        }
        else
        {
            AssertApplicationFailure<TallyFailedException>(error, "failed after adding 2");
        }

        Assert.Equal(Enumerable.Repeat(expectedEach, 10), await Totals(tallies));
    }

    [Fact]
    public async Task Exception_GrainThrowsAfterWritingInsideRunAsync_CallerSeesTheApplicationExceptionAndNothingIsApplied()
    {
        var (a, b) = (Tally(Keys.New("tally")), Tally(Keys.New("tally")));

        var error = await Assert.ThrowsAsync<TallyFailedException>(() => Transactions.RunAsync(async () =>
        {
            await a.Add(1);
            await b.AddThenThrow(2);
        }));

        Assert.Contains(b.GetPrimaryKeyString(), error.Message, StringComparison.Ordinal);
        Assert.Equal((0, 0), (await a.GetTotal(), await b.GetTotal()));
    }

    [Fact]
    public async Task Exception_BodyCatchesTheGrainsException_TransactionStillAborts()
    {
        var (a, b) = (Tally(Keys.New("tally")), Tally(Keys.New("tally")));
        var caught = false;

        var error = await Record.ExceptionAsync(() => Transactions.RunAsync(async () =>
        {
            await a.Add(1);
            try
            {
                await b.AddThenThrow(2);
            }
            catch (OrleansTransactionAbortedException aborted) when (aborted.InnerException is TallyFailedException)
            {
                // Orleans reports a joined call's failure wrapped: the transaction is doomed.
                caught = true;
            }

            await a.Add(1);
        }));

        Assert.True(caught);
        AssertApplicationFailure<TallyFailedException>(error, "failed after adding 2");
        Assert.Equal((0, 0), (await a.GetTotal(), await b.GetTotal()));
    }

    [Fact]
    public async Task Exception_GrainThrowsAfterWritingInItsOwnTransaction_CallerSeesAbortWithTheExceptionInside()
    {
        var tally = Tally(Keys.New("tally"));

        var error = await Assert.ThrowsAsync<OrleansTransactionAbortedException>(() => tally.AddThenThrow(3));

        Assert.IsType<TallyFailedException>(error.InnerException);
        Assert.Equal(0, await tally.GetTotal());
    }

    [Fact]
    public async Task Exception_UpdateThrowsHalfWayAndTheGrainCatchesIt_TentativeStateIsUnchangedAndTheRestCommits()
    {
        var tally = Tally(Keys.New("tally"));
        await tally.Add(5);

        var seen = await Transactions.RunAsync(async () =>
        {
            var beforeAnyWrite = await tally.AddHalfWayThenRead(100);
            await tally.Add(1);
            var afterAWrite = await tally.AddHalfWayThenRead(100);
            return (beforeAnyWrite, afterAWrite);
        });

        Assert.Equal((5, 6), seen);
        Assert.Equal(6, await tally.GetTotal());
    }

    [Fact]
    public async Task RunTransaction_ClientBodyCompletes_CommitsAllWrites()
    {
        var (a, b) = (Tally(Keys.New("tally")), Tally(Keys.New("tally")));

        await TransactionClient.RunTransaction(TransactionOption.Create, () => Task.WhenAll(a.Add(1), b.Add(2)));

        Assert.Equal((1, 2), (await a.GetTotal(), await b.GetTotal()));
    }

    [Fact]
    public async Task RunTransaction_ClientBodyThrows_AbortsWithTheExceptionInsideAndWritesNothing()
    {
        var (a, b) = (Tally(Keys.New("tally")), Tally(Keys.New("tally")));

        var error = await Assert.ThrowsAsync<OrleansTransactionAbortedException>(() => TransactionClient.RunTransaction(TransactionOption.Create, async () =>
        {
            await Task.WhenAll(a.Add(1), b.Add(2));
            throw new TallyFailedException("client gives up");
        }));

        Assert.Equal("client gives up", Assert.IsType<TallyFailedException>(error.InnerException).Message);
        Assert.Equal((0, 0), (await a.GetTotal(), await b.GetTotal()));
    }

    [Fact]
    public async Task RunTransaction_ClientBodyReturnsFalse_AbortsQuietlyAndWritesNothing()
    {
        var (a, b) = (Tally(Keys.New("tally")), Tally(Keys.New("tally")));

        await TransactionClient.RunTransaction(TransactionOption.Create, async () =>
        {
            await Task.WhenAll(a.Add(1), b.Add(2));
            return false;
        });

        Assert.Equal((0, 0), (await a.GetTotal(), await b.GetTotal()));
    }

    [Fact]
    public async Task RunTransaction_JoinOutsideTransaction_ThrowsNotSupportedException()
    {
        var tally = Tally(Keys.New("tally"));

        await Assert.ThrowsAsync<NotSupportedException>(() => TransactionClient.RunTransaction(TransactionOption.Join, () => tally.Add(1)));

        Assert.Equal(0, await tally.GetTotal());
    }

    [Fact]
    public async Task ReadOnlyMethod_WritesInItsOwnTransaction_FailsAndWritesNothing()
    {
        var tally = Tally(Keys.New("tally"));

        await Assert.ThrowsAsync<OrleansReadOnlyViolatedException>(() => tally.ReadOnlyButWrites(1));

        Assert.Equal(0, await tally.GetTotal());
    }

    [Theory]
    [InlineData(IsolationLevel.Snapshot)]
    [InlineData(IsolationLevel.Serializable)]
    public async Task ReadOnlyTransaction_BodyCallsAWritingMethod_FailsAndWritesNothing(IsolationLevel level)
    {
        var (a, b) = (Tally(Keys.New("tally")), Tally(Keys.New("tally")));
        await a.Add(4);

        var error = await Record.ExceptionAsync(() => Transactions.RunAsync(
            async () => await b.Add(await a.GetTotal()),
            new TransactionOptions(level, ReadOnly: true)));

        Assert.IsType<OrleansReadOnlyViolatedException>(error);
        Assert.Equal((4, 0), (await a.GetTotal(), await b.GetTotal()));
    }

    /// <summary>An application failure reaches the caller as itself or inside Orleans' abort wrapper.</summary>
    private static void AssertApplicationFailure<T>(Exception? error, string messagePart)
        where T : Exception
    {
        Assert.NotNull(error);
        var cause = error is OrleansTransactionAbortedException { InnerException: { } inner } && error.GetType() == typeof(OrleansTransactionAbortedException) ? inner : error;
        Assert.Contains(messagePart, Assert.IsType<T>(cause).Message, StringComparison.Ordinal);
    }

    private ITallyGrain Tally(string key) => fixture.Cluster.Grains.GetGrain<ITallyGrain>(key);

    private ITallyGrain[] TenTallies() => [.. Enumerable.Range(0, 10).Select(_ => Tally(Keys.New("tally")))];

    private static async Task<int[]> Totals(IEnumerable<ITallyGrain> tallies) => await Task.WhenAll(tallies.Select(t => t.GetTotal()));
}
