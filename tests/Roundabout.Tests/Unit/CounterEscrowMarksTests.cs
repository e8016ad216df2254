using Roundabout.State;
using Roundabout.Transactions.Timestamps;

namespace Roundabout.Tests.Unit;

/// <summary>
/// The escrow marks against a model: withdrawals with floors commit at random timestamps, often
/// below ones already installed, while pruning drops versions nobody reads from the middle and the
/// start of the chain. Whatever the marks let through, every withdrawal's floor must hold at its
/// own timestamp in the final serial order (the order of the timestamps).
/// </summary>
public sealed class CounterEscrowMarksTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void RandomLateAdditionsAndPruning_EveryFloorHoldsInTheSerialOrder(int seed)
    {
        var random = new Random(seed);
        var chain = new VersionChain<long>(0, 100);
        var marks = new CounterEscrowMarks();
        var committed = new SortedDictionary<long, (long Delta, long? Floor)> { [0] = (100, null) };
        var accepted = 0;
        var refused = 0;
        long newest = 0;
        for (var step = 0; step < 3_000; step++)
        {
            // Mostly near the newest timestamp, sometimes well below it (a late prepare).
            var commitTimestamp = Math.Max(1, newest + random.Next(-40, 12));
            if (committed.ContainsKey(commitTimestamp))
            {
                continue;
            }

            var withdraw = random.Next(3) > 0;
            var delta = withdraw ? -random.Next(1, 40) : random.Next(1, 50);
            long? floor = withdraw ? random.Next(-20, 30) : null;
            var range = marks.RangeFrom(chain, commitTimestamp);
            var allowed = withdraw
                ? range.Low + delta >= floor!.Value && range.RoomBelow + delta >= 0
                : true;
            if (!allowed)
            {
                refused++;
                continue;
            }

            accepted++;
            chain.InsertCommuting(commitTimestamp, value => value + delta);
            marks.Installed(chain, commitTimestamp, delta, floor, null);
            committed[commitTimestamp] = (delta, floor);
            newest = Math.Max(newest, commitTimestamp);
            if (random.Next(4) == 0)
            {
                chain.Prune(RandomHorizon(random, newest), marks.Dropped);
            }

            AssertEveryFloorHolds(committed, seed, step);
            AssertKeptVersionsMatch(chain, committed);
        }

        // Not a check that refuses everything: most additions go through.
        Assert.True(accepted > refused, $"{accepted} accepted, {refused} refused");
    }

    [Fact]
    public void Dropped_FoldsTheDroppedValueAndFloorIntoTheNextKeptVersion()
    {
        var chain = new VersionChain<long>(0, 200);
        var marks = new CounterEscrowMarks();
        chain.InsertCommuting(10, value => value - 200); // 0, floor 0
        marks.Installed(chain, 10, -200, 0, null);
        chain.InsertCommuting(20, value => value + 300); // 300
        marks.Installed(chain, 20, 300, null, null);

        // Only the snapshot at 5 is read: the version at 10 (value 0) goes.
        Assert.Equal(1, chain.Prune(new SnapshotHorizon(30, [5]), marks.Dropped));

        var range = marks.RangeFrom(chain, 5);
        Assert.Equal(0, range.Low);
        Assert.Equal(300, range.High);
        Assert.Equal(0, range.RoomBelow); // the withdrawal at 10 left it at its floor
    }

    [Fact]
    public void ForgetUpTo_DropsMarksOfVersionsNothingCanCommitBelow()
    {
        var chain = new VersionChain<long>(0, 100);
        var marks = new CounterEscrowMarks();
        chain.InsertCommuting(10, value => value - 50);
        marks.Installed(chain, 10, -50, 0, null);
        chain.InsertCommuting(20, value => value - 10);
        marks.Installed(chain, 20, -10, 0, null);

        marks.ForgetUpTo(15);

        Assert.Equal(1, marks.Count);
    }

    private static SnapshotHorizon RandomHorizon(Random random, long newest)
    {
        var active = Enumerable.Range(0, random.Next(0, 4)).Select(_ => (long)random.Next(0, (int)newest + 1)).Distinct().Order().ToArray();
        return new SnapshotHorizon(newest, active);
    }

    private static void AssertEveryFloorHolds(SortedDictionary<long, (long Delta, long? Floor)> committed, int seed, int step)
    {
        long value = 0;
        foreach (var (timestamp, (delta, floor)) in committed)
        {
            value += delta;
            Assert.True(floor is null || value >= floor, $"seed {seed}, step {step}: the withdrawal at {timestamp} left {value}, below its floor {floor}");
        }
    }

    private static void AssertKeptVersionsMatch(VersionChain<long> chain, SortedDictionary<long, (long Delta, long? Floor)> committed)
    {
        foreach (var version in chain.Versions)
        {
            var expected = committed.Where(entry => entry.Key <= version.CommitTimestamp).Sum(entry => entry.Value.Delta);
            Assert.Equal(expected, version.Value);
        }
    }
}
