using System.Globalization;
using System.Text;
using Roundabout.Accounts;
using Roundabout.Records;
using Roundabout.Tests.Infrastructure;
using Roundabout.Transactions;

namespace Roundabout.Tests.Cluster;

/// <summary>
/// Adya's isolation anomalies (and the read-only anomaly of Fekete, O'Neil and O'Neil, 2004)
/// as step-scripted interleavings. Every test runs at both levels: Snapshot prevents all but
/// write skew and the read-only anomaly; Serializable prevents all of them.
/// </summary>
/// <remarks>
/// Each transaction is a <see cref="IRoundaboutTransactions.RunAsync(Func{Task}, TransactionOptions?)"/>
/// body on the client; <see cref="TaskCompletionSource"/> gates fix the order of their steps.
/// Under Serializable the protocol orders a writing transaction at its commit timestamp c and
/// refuses it if anything it read was committed in (rv, c): the expected outcomes follow that rule.
/// </remarks>
[Collection(ClusterCollection.Name)]
public sealed class IsolationAnomalyTests(ClusterFixture fixture)
{
    private static readonly TimeSpan StepTimeout = TimeSpan.FromSeconds(15);

    private IGrainFactory Grains => fixture.Cluster.Grains;

    private IRoundaboutTransactions Transactions => fixture.Cluster.Transactions;

    /// <summary>
    /// G0: T1 and T2 both write x and y, interleaved (w1[x] w2[x] w2[y] w1[y]). The first to commit
    /// wins; the other aborts, so x and y never mix the two transactions' values.
    /// </summary>
    [Theory]
    [InlineData(IsolationLevel.Snapshot)]
    [InlineData(IsolationLevel.Serializable)]
    public async Task DirtyWrite_InterleavedWritesOfTwoRecords_SecondCommitterAbortsAndValuesDoNotMix(IsolationLevel level)
    {
        var (x, y) = (Keys.New("g0-x"), Keys.New("g0-y"));
        var (t1Wrote, t2Wrote, t1WroteBoth, t2Committed) = (Gate(), Gate(), Gate(), Gate());

        var t1 = Run(level, async () =>
        {
            await Write(x, 1);
            t1Wrote.SetResult();
            await Passed(t2Wrote);
            await Write(y, 1);
            t1WroteBoth.SetResult();
            await Passed(t2Committed);
        });
        var t2 = Run(level, async () =>
        {
            await Passed(t1Wrote);
            await Write(x, 2);
            await Write(y, 2);
            t2Wrote.SetResult();
            await Passed(t1WroteBoth);
        });

        Assert.Null(await Record.ExceptionAsync(() => t2));
        t2Committed.SetResult();
        var t1Error = await Record.ExceptionAsync(() => t1);

        AssertConflict(t1Error, x, y);
        Assert.Equal((2, 2), (await Read(x), await Read(y)));
    }

    /// <summary>
    /// G1a: T1 writes x and then aborts (its body throws). T2 reads x before and after the abort and
    /// writes what it read to y: it sees the initial value both times, at any level.
    /// </summary>
    [Theory]
    [InlineData(IsolationLevel.Snapshot)]
    [InlineData(IsolationLevel.Serializable)]
    public async Task AbortedRead_WriterThrowsAfterWriting_ReaderNeverSeesTheWrite(IsolationLevel level)
    {
        var (x, y) = (Keys.New("g1a-x"), Keys.New("g1a-y"));
        await Write(x, 10);
        var (t1Wrote, t2ReadOnce, t1Aborted) = (Gate(), Gate(), Gate());
        var seen = new List<long>();

        var t1 = Run(level, async () =>
        {
            await Write(x, 666);
            t1Wrote.SetResult();
            await Passed(t2ReadOnce);
            throw new InvalidOperationException("T1 gives up");
        });
        var t2 = Run(level, async () =>
        {
            await Passed(t1Wrote);
            seen.Add(await Read(x));
            t2ReadOnce.SetResult();
            await Passed(t1Aborted);
            seen.Add(await Read(x));
            await Write(y, seen[^1]);
        });

        var t1Error = await Record.ExceptionAsync(() => t1);
        t1Aborted.SetResult();
        var t2Error = await Record.ExceptionAsync(() => t2);

        Assert.Equal("T1 gives up", Assert.IsType<InvalidOperationException>(t1Error).Message);
        Assert.Null(t2Error);
        Assert.Equal(new long[] { 10, 10 }, seen);
        Assert.Equal((10, 10), (await Read(x), await Read(y)));
    }

    /// <summary>
    /// G1a with a write that got as far as prepare: T1 writes x and z; z is committed by T3 meanwhile,
    /// so at commit x prepares and z refuses. The prepared write at x is rolled back: neither a
    /// transaction that started before T1's commit attempt nor one that started after sees it.
    /// </summary>
    [Theory]
    [InlineData(IsolationLevel.Snapshot)]
    [InlineData(IsolationLevel.Serializable)]
    public async Task AbortedRead_WriterRefusedAtCommit_ReadersNeverSeeItsPreparedWrite(IsolationLevel level)
    {
        var (x, z) = (Keys.New("g1a-x"), Keys.New("g1a-z"));
        await Write(x, 10);
        var (t1Wrote, t1MayCommit, t2Started, t2MayRead) = (Gate(), Gate(), Gate(), Gate());
        long t2Saw = -1;

        var t1 = Run(level, async () =>
        {
            await Write(x, 666);
            await Write(z, 666);
            t1Wrote.SetResult();
            await Passed(t1MayCommit);
        });
        await Passed(t1Wrote);
        await Run(level, () => Write(z, 3));
        var t2 = Run(level, async () =>
        {
            t2Started.SetResult();
            await Passed(t2MayRead);
            t2Saw = await Read(x);
        });
        await Passed(t2Started);
        t1MayCommit.SetResult();
        var t1Error = await Record.ExceptionAsync(() => t1);
        t2MayRead.SetResult();
        await t2;

        AssertConflict(t1Error, z);
        Assert.DoesNotContain(x, t1Error!.Message, StringComparison.Ordinal);
        Assert.Equal(10, t2Saw);
        Assert.Equal((10, 3), (await Read(x), await Read(z)));
    }

    /// <summary>
    /// G1b: T1 writes x twice (1, then 2) and commits. T2 reads x between the two writes and again
    /// after T1's commit: it sees the initial value both times, never the intermediate 1. T2 then
    /// writes what it read to y: Snapshot commits it; Serializable refuses it, because x was
    /// committed between T2's snapshot and its commit.
    /// </summary>
    [Theory]
    [InlineData(IsolationLevel.Snapshot)]
    [InlineData(IsolationLevel.Serializable)]
    public async Task IntermediateRead_ReaderBetweenTwoWritesOfOneTransaction_NeverSeesTheIntermediateValue(IsolationLevel level)
    {
        var (x, y) = (Keys.New("g1b-x"), Keys.New("g1b-y"));
        var (t1WroteOnce, t2ReadOnce, t1Committed) = (Gate(), Gate(), Gate());
        var seen = new List<long>();

        var t1 = Run(level, async () =>
        {
            await Write(x, 1);
            t1WroteOnce.SetResult();
            await Passed(t2ReadOnce);
            await Write(x, 2);
        });
        var t2 = Run(level, async () =>
        {
            await Passed(t1WroteOnce);
            seen.Add(await Read(x));
            t2ReadOnce.SetResult();
            await Passed(t1Committed);
            seen.Add(await Read(x));
            await Write(y, 100 + seen[^1]);
        });

        Assert.Null(await Record.ExceptionAsync(() => t1));
        t1Committed.SetResult();
        var t2Error = await Record.ExceptionAsync(() => t2);

        Assert.Equal(new long[] { 0, 0 }, seen);
        Assert.Equal(2, await Read(x));
        if (level == IsolationLevel.Snapshot)
        {
            Assert.Null(t2Error);
            Assert.Equal(100, await Read(y));
        }
        else
        {
            AssertConflict(t2Error, x);
            Assert.Equal(0, await Read(y));
        }
    }

    /// <summary>
    /// G1c: T1 writes x and reads y; T2 writes y and reads x, each after the other's write
    /// (w1[x] w2[y] r2[x] r1[y]). Neither sees the other's uncommitted write, so there is no cycle of
    /// write-read dependencies. Snapshot commits both (disjoint writes); Serializable refuses the
    /// second committer, whose read of x was overwritten by the first.
    /// </summary>
    [Theory]
    [InlineData(IsolationLevel.Snapshot)]
    [InlineData(IsolationLevel.Serializable)]
    public async Task CircularInformationFlow_EachReadsTheOthersUncommittedWrite_NeitherSeesIt(IsolationLevel level)
    {
        var (x, y) = (Keys.New("g1c-x"), Keys.New("g1c-y"));
        var (t1Wrote, t2Read, t1Committed) = (Gate(), Gate(), Gate());
        long t1SawY = -1, t2SawX = -1;

        var t1 = Run(level, async () =>
        {
            await Write(x, 1);
            t1Wrote.SetResult();
            await Passed(t2Read);
            t1SawY = await Read(y);
        });
        var t2 = Run(level, async () =>
        {
            await Passed(t1Wrote);
            await Write(y, 2);
            t2SawX = await Read(x);
            t2Read.SetResult();
            await Passed(t1Committed);
        });

        Assert.Null(await Record.ExceptionAsync(() => t1));
        t1Committed.SetResult();
        var t2Error = await Record.ExceptionAsync(() => t2);

        Assert.Equal((0, 0), (t1SawY, t2SawX));
        Assert.Equal(1, await Read(x));
        if (level == IsolationLevel.Snapshot)
        {
            Assert.Null(t2Error);
            Assert.Equal(2, await Read(y));
        }
        else
        {
            AssertConflict(t2Error, x);
            Assert.Equal(0, await Read(y));
        }
    }

    /// <summary>
    /// OTV (Hermitage's schedule): T1 writes x=11, y=19 and commits; T2 wrote x=12 before that and
    /// tries y=18 after it; T3 reads x after T1's commit and y before and after T2's attempt. T2 is
    /// refused at y (a version newer than its snapshot exists), and T3 sees T1's writes throughout.
    /// </summary>
    [Theory]
    [InlineData(IsolationLevel.Snapshot)]
    [InlineData(IsolationLevel.Serializable)]
    public async Task ObservedTransactionVanishes_LaterWriterTriesToOverwrite_ObserverKeepsSeeingIt(IsolationLevel level)
    {
        var (x, y) = (Keys.New("otv-x"), Keys.New("otv-y"));
        await Task.WhenAll(Write(x, 10), Write(y, 20));
        var (t1Wrote, t2WroteX, t1Committed, t3ReadX, t2Finished) = (Gate(), Gate(), Gate(), Gate(), Gate());
        var t3Saw = new List<long>();

        var t1 = Run(level, async () =>
        {
            await Write(x, 11);
            await Write(y, 19);
            t1Wrote.SetResult();
            await Passed(t2WroteX);
        });
        var t2 = Run(level, async () =>
        {
            await Passed(t1Wrote);
            await Write(x, 12);
            t2WroteX.SetResult();
            await Passed(t1Committed);
            await Write(y, 18);
        });

        Assert.Null(await Record.ExceptionAsync(() => t1));
        var t3 = Run(level, async () =>
        {
            t3Saw.Add(await Read(x));
            t3ReadX.SetResult();
            await Passed(t2Finished);
            t3Saw.Add(await Read(y));
            t3Saw.Add(await Read(x));
        });
        await Passed(t3ReadX);
        t1Committed.SetResult();
        var t2Error = await Record.ExceptionAsync(() => t2);
        t2Finished.SetResult();
        var t3Error = await Record.ExceptionAsync(() => t3);

        AssertConflict(t2Error, y);
        Assert.Null(t3Error);
        Assert.Equal(new long[] { 11, 19, 11 }, t3Saw);
        Assert.Equal((11, 19), (await Read(x), await Read(y)));
    }

    /// <summary>
    /// P4: T1 and T2 both read the counter x and write read + 1; T2 commits first. T1's increment
    /// would overwrite T2's without seeing it, so T1 is refused (first committer wins); retried, it
    /// counts on top of T2's: no increment is lost.
    /// </summary>
    [Theory]
    [InlineData(IsolationLevel.Snapshot)]
    [InlineData(IsolationLevel.Serializable)]
    public async Task LostUpdate_TwoReadModifyWritesOfOneCounter_SecondCommitterAbortsAndNoIncrementIsLost(IsolationLevel level)
    {
        var x = Keys.New("p4-x");
        await Write(x, 5);
        var (t1Wrote, t2Committed) = (Gate(), Gate());
        long t1Read = -1, t2Read = -1;

        var t1 = Run(level, async () =>
        {
            t1Read = await Read(x);
            await Write(x, t1Read + 1);
            t1Wrote.SetResult();
            await Passed(t2Committed);
        });
        await Passed(t1Wrote);
        var t2Error = await Record.ExceptionAsync(() => Run(level, async () =>
        {
            t2Read = await Read(x);
            await Write(x, t2Read + 1);
        }));
        t2Committed.SetResult();
        var t1Error = await Record.ExceptionAsync(() => t1);

        Assert.Equal((5, 5), (t1Read, t2Read));
        Assert.Null(t2Error);
        AssertConflict(t1Error, x);
        Assert.Equal(6, await Read(x));

        await Run(level, async () => await Write(x, await Read(x) + 1));
        Assert.Equal(7, await Read(x));
    }

    /// <summary>
    /// P4 on an account balance, which is a commutative counter: two concurrent deposits to one
    /// account both commit and neither is lost (the balance holds both), because additions commute
    /// instead of overwriting each other.
    /// </summary>
    [Theory]
    [InlineData(IsolationLevel.Snapshot)]
    [InlineData(IsolationLevel.Serializable)]
    public async Task LostUpdate_ConcurrentDepositsToOneAccount_BothCommitAndNeitherIsLost(IsolationLevel level)
    {
        var key = Keys.New("p4-acct");
        var account = Grains.GetGrain<IAccountGrain>(key);
        await account.Deposit(100);
        var (t1Deposited, t2Committed) = (Gate(), Gate());

        var t1 = Run(level, async () =>
        {
            await account.Deposit(10);
            t1Deposited.SetResult();
            await Passed(t2Committed);
        });
        await Passed(t1Deposited);
        var t2Error = await Record.ExceptionAsync(() => Run(level, () => account.Deposit(20)));
        t2Committed.SetResult();
        var t1Error = await Record.ExceptionAsync(() => t1);

        Assert.Null(t2Error);
        Assert.Null(t1Error);
        Assert.Equal(130, await account.GetBalance());
    }

    /// <summary>
    /// G-single: x + y = 100. T1 reads x, then T2 moves 25 from x to y and commits, then T1 reads y
    /// and writes x + y to z. T1 sees the sum as it was (50 + 50), never 50 + 75. Snapshot commits
    /// z = 100; Serializable refuses T1, whose reads were overwritten before its commit.
    /// </summary>
    [Theory]
    [InlineData(IsolationLevel.Snapshot)]
    [InlineData(IsolationLevel.Serializable)]
    public async Task ReadSkew_TransferCommitsBetweenTwoReads_ReaderSeesOneConsistentSnapshot(IsolationLevel level)
    {
        var (x, y, z) = (Keys.New("gs-x"), Keys.New("gs-y"), Keys.New("gs-z"));
        await Task.WhenAll(Write(x, 50), Write(y, 50));
        var (t1ReadX, t2Committed) = (Gate(), Gate());
        long seenX = -1, seenY = -1;

        var t1 = Run(level, async () =>
        {
            seenX = await Read(x);
            t1ReadX.SetResult();
            await Passed(t2Committed);
            seenY = await Read(y);
            await Write(z, seenX + seenY);
        });
        await Passed(t1ReadX);
        var t2Error = await Record.ExceptionAsync(() => Run(level, async () =>
        {
            var (fromX, toY) = (await Read(x), await Read(y));
            await Task.WhenAll(Write(x, fromX - 25), Write(y, toY + 25));
        }));
        t2Committed.SetResult();
        var t1Error = await Record.ExceptionAsync(() => t1);

        Assert.Null(t2Error);
        Assert.Equal((50, 50), (seenX, seenY));
        Assert.Equal((25, 75), (await Read(x), await Read(y)));
        if (level == IsolationLevel.Snapshot)
        {
            Assert.Null(t1Error);
            Assert.Equal(100, await Read(z));
        }
        else
        {
            AssertConflict(t1Error, x, y);
            Assert.Equal(0, await Read(z));
        }
    }

    /// <summary>
    /// G2-item (the on-call doctors): x = y = 1 and the invariant is x + y >= 1. T1 and T2 both read
    /// both, see 2, and each sets a different one to 0. Snapshot lets both commit (the write skew
    /// happens: x = y = 0); Serializable refuses the second committer, which read what the first wrote.
    /// </summary>
    [Theory]
    [InlineData(IsolationLevel.Snapshot)]
    [InlineData(IsolationLevel.Serializable)]
    public async Task WriteSkew_DisjointWritesBasedOnOverlappingReads_HappensUnderSnapshotOnly(IsolationLevel level)
    {
        var (x, y) = (Keys.New("g2-x"), Keys.New("g2-y"));
        await Task.WhenAll(Write(x, 1), Write(y, 1));
        var (t1Read, t2Wrote, t1Committed) = (Gate(), Gate(), Gate());
        long t1Sum = -1, t2Sum = -1;

        var t1 = Run(level, async () =>
        {
            t1Sum = await Read(x) + await Read(y);
            t1Read.SetResult();
            await Passed(t2Wrote);
            if (t1Sum >= 2)
            {
                await Write(x, 0);
            }
        });
        var t2 = Run(level, async () =>
        {
            await Passed(t1Read);
            t2Sum = await Read(x) + await Read(y);
            if (t2Sum >= 2)
            {
                await Write(y, 0);
            }

            t2Wrote.SetResult();
            await Passed(t1Committed);
        });

        Assert.Null(await Record.ExceptionAsync(() => t1));
        t1Committed.SetResult();
        var t2Error = await Record.ExceptionAsync(() => t2);

        Assert.Equal((2, 2), (t1Sum, t2Sum));
        if (level == IsolationLevel.Snapshot)
        {
            Assert.Null(t2Error);
            Assert.Equal((0, 0), (await Read(x), await Read(y)));
        }
        else
        {
            AssertConflict(t2Error, x);
            Assert.DoesNotContain(y, t2Error!.Message, StringComparison.Ordinal);
            Assert.Equal((0, 1), (await Read(x), await Read(y)));
        }
    }

    /// <summary>
    /// The read-only transaction anomaly (Fekete, O'Neil, O'Neil 2004). Checking X and savings Y
    /// start at 0. T1 (withdraw 10 from X, plus a penalty of 1 if X + Y would go below 0) reads X
    /// and Y; T2 deposits 20 to Y and commits; read-only T3 then reads X = 0, Y = 20; T1 withdraws.
    /// Under Snapshot all commit: T3 saw T2's deposit but not T1's withdrawal, so T3 puts T2 before
    /// T1, while T1's penalty (it did not see the deposit) puts T1 before T2 — no serial order
    /// explains it. Under Serializable T1 is refused (Y changed after it read it), and what T3 saw
    /// is the serial state after T2.
    /// </summary>
    [Theory]
    [InlineData(IsolationLevel.Snapshot)]
    [InlineData(IsolationLevel.Serializable)]
    public async Task ReadOnlyAnomaly_ReaderSeesDepositBeforeWithdrawalThatMissedIt_OnlySnapshotCommitsAll(IsolationLevel level)
    {
        var (checkingKey, savingsKey) = (Keys.New("fek-checking"), Keys.New("fek-savings"));
        var (checking, savings) = (Grains.GetGrain<IAccountGrain>(checkingKey), Grains.GetGrain<IAccountGrain>(savingsKey));
        await checking.SetOverdraftLimit(100);
        var (t1Read, t3Done) = (Gate(), Gate());
        long withdrawn = -1;

        var t1 = Run(level, async () =>
        {
            var (x, y) = (await checking.GetBalance(), await savings.GetBalance());
            withdrawn = x + y - 10 < 0 ? 11 : 10;
            t1Read.SetResult();
            await Passed(t3Done);
            await checking.Withdraw(withdrawn);
        });
        await Passed(t1Read);

        var t2Error = await Record.ExceptionAsync(() => Run(level, () => savings.Deposit(20)));
        var t3Saw = await Transactions.RunAsync(
            async () => (await checking.GetBalance(), await savings.GetBalance()),
            new TransactionOptions(level, ReadOnly: true));
        t3Done.SetResult();
        var t1Error = await Record.ExceptionAsync(() => t1);

        Assert.Null(t2Error);
        Assert.Equal(11, withdrawn);
        Assert.Equal((0L, 20L), t3Saw);
        if (level == IsolationLevel.Snapshot)
        {
            // The anomaly: T1 committed a penalty that only a state without T2's deposit justifies,
            // while T3 saw T2's deposit and not T1's withdrawal.
            Assert.Null(t1Error);
            Assert.Equal((-11, 20), (await checking.GetBalance(), await savings.GetBalance()));
        }
        else
        {
            AssertConflict(t1Error, savingsKey);
            Assert.Equal((0, 20), (await checking.GetBalance(), await savings.GetBalance()));
        }
    }

    /// <summary>
    /// A grain whose states a transaction both wrote and read is prepared with one message: the
    /// read state's refusal must count although the written state is valid. T1 withdraws 50 from
    /// A (reading its overdraft limit of 100, adding -50 to its balance) and pauses; T2 lowers A's
    /// limit to 10 and commits; T1 then deposits into B and commits with two writers. Serializable
    /// refuses T1 at A's settings: committing it would leave A at -50 under a limit of 10.
    /// </summary>
    [Fact]
    public async Task GroupedPrepare_ReadStateChangedBeforeCommit_RefusesAlthoughTheWrittenStateIsValid()
    {
        var (aKey, bKey) = (Keys.New("grp-a"), Keys.New("grp-b"));
        var (a, b) = (Grains.GetGrain<IAccountGrain>(aKey), Grains.GetGrain<IAccountGrain>(bKey));
        await a.SetOverdraftLimit(100);
        var (t1Withdrew, t2Done) = (Gate(), Gate());

        var t1 = Run(IsolationLevel.Serializable, async () =>
        {
            await a.Withdraw(50);
            t1Withdrew.SetResult();
            await Passed(t2Done);
            await b.Deposit(50);
        });
        await Passed(t1Withdrew);
        var t2Error = await Record.ExceptionAsync(() => Run(IsolationLevel.Serializable, () => a.SetOverdraftLimit(10)));
        t2Done.SetResult();
        var t1Error = await Record.ExceptionAsync(() => t1);

        Assert.Null(t2Error);
        AssertConflict(t1Error, aKey);
        Assert.Contains("settings", t1Error!.Message, StringComparison.Ordinal);
        Assert.Equal(new AccountSnapshot(0, 10), await a.GetSnapshot());
        Assert.Equal(0, await b.GetBalance());
    }

    private static TaskCompletionSource Gate() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static Task Passed(TaskCompletionSource gate) => gate.Task.WaitAsync(StepTimeout);

    private static void AssertConflict(Exception? error, params string[] anyOfKeys)
    {
        var conflict = Assert.IsType<TransactionConflictException>(error);
        Assert.True(
            anyOfKeys.Any(key => conflict.Message.Contains(key, StringComparison.Ordinal)),
            $"The conflict should name one of [{string.Join(", ", anyOfKeys)}]: {conflict.Message}");
    }

    private Task Run(IsolationLevel level, Func<Task> body) => Transactions.RunAsync(body, new TransactionOptions(level));

    private IRecordGrain RecordOf(string key) => Grains.GetGrain<IRecordGrain>(key);

    private async Task<long> Read(string key)
    {
        var value = (await RecordOf(key).Get()).Value;
        return value is null ? 0 : long.Parse(Encoding.UTF8.GetString(value), CultureInfo.InvariantCulture);
    }

    private Task Write(string key, long value) => RecordOf(key).Put(Encoding.UTF8.GetBytes(value.ToString(CultureInfo.InvariantCulture)));
}
