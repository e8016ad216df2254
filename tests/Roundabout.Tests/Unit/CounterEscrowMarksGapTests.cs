using Roundabout.State;
using Roundabout.Transactions.Timestamps;
using Xunit.Abstractions;

namespace Roundabout.Tests.Unit;

public sealed class CounterEscrowMarksGapTests(ITestOutputHelper output)
{
    /// <summary>
    /// 200 at 0; withdrawal of 200 (floor 0) at 10 -> 0; deposit 300 at 20 -> 300. Only a snapshot at 5 is
    /// running: the version at 10 is dropped, its floor folded into 20's mark. Then a deposit of 100
    /// commits at 15, inside the gap: it moves the version at 20, not the dropped one at 10. A withdrawal
    /// at 5 must then still find no room below (the version at 10 is at its floor).
    /// </summary>
    [Fact]
    public void DepositInsideTheGap_DoesNotLoosenTheDroppedVersionsFloor()
    {
        var chain = new VersionChain<long>(0, 200);
        var marks = new CounterEscrowMarks();
        Install(chain, marks, 10, -200, 0, null);
        Install(chain, marks, 20, 300, null, null);
        Assert.Equal(1, chain.Prune(new SnapshotHorizon(30, [5]), marks.Dropped));

        Install(chain, marks, 15, 100, null, null); // in the gap
        var range = marks.RangeFrom(chain, 5);
        output.WriteLine($"Low {range.Low} High {range.High} RoomBelow {range.RoomBelow}");

        // What a withdrawal of 100 at 5 with its own floor -1000 is checked against (EscrowConflict, nothing pending):
        var allowed = range.Low - 100 >= -1000 && range.RoomBelow - 100 >= 0;
        // Serial order by timestamp: 200, (5) 100, (10) -100 <- the floor-0 withdrawal broken, (15) 0, (20) 300.
        Assert.False(allowed, $"a withdrawal of 100 at 5 is allowed (RoomBelow {range.RoomBelow}) but leaves the floor-0 withdrawal at 10 at -100");
    }

    /// <summary>The ceiling twin: a withdrawal inside the gap must not loosen a dropped version's ceiling.</summary>
    [Fact]
    public void WithdrawalInsideTheGap_DoesNotLoosenTheDroppedVersionsCeiling()
    {
        var chain = new VersionChain<long>(0, 0);
        var marks = new CounterEscrowMarks();
        Install(chain, marks, 10, 200, null, 200); // 200, ceiling 200
        Install(chain, marks, 20, -300, null, null); // -100
        Assert.Equal(1, chain.Prune(new SnapshotHorizon(30, [5]), marks.Dropped));

        Install(chain, marks, 15, -100, null, null); // in the gap
        var range = marks.RangeFrom(chain, 5);
        output.WriteLine($"Low {range.Low} High {range.High} RoomAbove {range.RoomAbove}");
        var allowed = range.High + 100 <= 1000 && range.RoomAbove - 100 >= 0;
        Assert.False(allowed, $"a deposit of 100 at 5 is allowed (RoomAbove {range.RoomAbove}) but leaves the ceiling-200 deposit at 10 at 300");
    }

    /// <summary>The existing model test, with deposits carrying ceilings and withdrawals floors, and more late arrivals.</summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    [InlineData(8)]
    public void RandomModel_FloorsAndCeilings(int seed)
    {
        var random = new Random(seed);
        var chain = new VersionChain<long>(0, 100);
        var marks = new CounterEscrowMarks();
        var committed = new SortedDictionary<long, (long Delta, long? Floor, long? Ceiling)> { [0] = (100, null, null) };
        long newest = 0;
        for (var step = 0; step < 3_000; step++)
        {
            var commitTimestamp = Math.Max(1, newest + random.Next(-40, 12));
            if (committed.ContainsKey(commitTimestamp))
            {
                continue;
            }

            var withdraw = random.Next(2) > 0;
            var delta = withdraw ? -random.Next(1, 40) : random.Next(1, 40);
            long? floor = withdraw ? random.Next(-20, 60) : null;
            long? ceiling = withdraw ? null : random.Next(100, 200);
            var range = marks.RangeFrom(chain, commitTimestamp);
            var allowed = withdraw
                ? range.Low + delta >= floor!.Value && range.RoomBelow + delta >= 0
                : range.High + delta <= ceiling!.Value && range.RoomAbove - delta >= 0;
            if (!allowed)
            {
                continue;
            }

            chain.InsertCommuting(commitTimestamp, value => value + delta);
            marks.Installed(chain, commitTimestamp, delta, floor, ceiling);
            committed[commitTimestamp] = (delta, floor, ceiling);
            newest = Math.Max(newest, commitTimestamp);
            if (random.Next(3) == 0)
            {
                var active = Enumerable.Range(0, random.Next(0, 3)).Select(_ => (long)random.Next(0, (int)newest + 1)).Distinct().Order().ToArray();
                chain.Prune(new SnapshotHorizon(newest, active), marks.Dropped);
            }

            long value = 0;
            foreach (var (timestamp, (d, f, c)) in committed)
            {
                value += d;
                Assert.True(f is null || value >= f, $"seed {seed} step {step}: the withdrawal at {timestamp} left {value}, below its floor {f}");
                Assert.True(c is null || value <= c, $"seed {seed} step {step}: the deposit at {timestamp} left {value}, above its ceiling {c}");
            }
        }
    }

    [Fact]
    public void ExtremeValues_NoOverflowInMarks()
    {
        var chain = new VersionChain<long>(0, long.MaxValue);
        var marks = new CounterEscrowMarks();
        Install(chain, marks, 10, long.MinValue, long.MinValue + 1, null); // -1
        Install(chain, marks, 20, long.MaxValue, null, long.MaxValue - 1); // MaxValue - 1
        Install(chain, marks, 30, long.MinValue + 1, long.MinValue, null); // MinValue
        Install(chain, marks, 40, long.MaxValue, null, 0); // -1
        Assert.Equal(3, chain.Prune(new SnapshotHorizon(50, [5]), marks.Dropped));
        Install(chain, marks, 15, long.MaxValue, null, null); // in the gap
        Install(chain, marks, 35, long.MinValue + 5, null, null); // in the gap
        var range = marks.RangeFrom(chain, 5);
        output.WriteLine($"{range}; versions {string.Join(", ", chain.Versions)}; marks {marks.Count}");
        marks.ForgetUpTo(long.MaxValue);
        Assert.Equal(0, marks.Count);
    }

    private static void Install(VersionChain<long> chain, CounterEscrowMarks marks, long timestamp, long delta, long? floor, long? ceiling)
    {
        chain.InsertCommuting(timestamp, value => value + delta);
        marks.Installed(chain, timestamp, delta, floor, ceiling);
    }
}
