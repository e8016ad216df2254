using Roundabout.Tests.Consistency;

namespace Roundabout.Tests.Unit;

/// <summary>The checkers on hand-built histories: they must catch each anomaly, and accept what the level allows.</summary>
public sealed class HistoryCheckerSelfTests
{
    private readonly HistoryRecorder _recorder = new();

    [Fact]
    public void Check_SerialHistory_BothLevelsConsistent()
    {
        var t1 = _recorder.Begin();
        t1.Read("x", null, 0);
        t1.Wrote("x", 1);
        t1.Wrote("y", 1);
        var writer = _recorder.Finish(t1, TransactionOutcome.Committed);
        var t2 = _recorder.Begin();
        t2.Read("x", writer.Writes.First().Value, 1);
        t2.Wrote("x", 2);
        t2.Read("x", t2.ValueFor("x"), 2);
        _recorder.Finish(t2, TransactionOutcome.Committed);
        var t3 = _recorder.Begin(readOnly: true);
        t3.Read("y", WrittenValue.Encode(t1.Id, "y"), 1);
        t3.Read("x", WrittenValue.Encode(t2.Id, "x"), 2);
        _recorder.Finish(t3, TransactionOutcome.Committed);

        var serializable = SerializabilityChecker.Check(_recorder.History);
        var snapshot = SnapshotIsolationChecker.Check(_recorder.History);

        Assert.True(serializable.IsConsistent, serializable.ToString());
        Assert.True(snapshot.IsConsistent, snapshot.ToString());
        Assert.Equal(3, serializable.Graph.Committed.Count);
        Assert.Contains(new Dependency(t1.Id, t2.Id, DependencyKind.WriteWrite, "x"), serializable.Graph.Edges);
        Assert.Contains(new Dependency(t2.Id, t3.Id, DependencyKind.WriteRead, "x"), serializable.Graph.Edges);
    }

    [Fact]
    public void Check_WriteSkew_SerializableReportsCycleAndSnapshotAccepts()
    {
        // Both read x and y at version 0, then each writes a different one: T1 -rw-> T2 -rw-> T1.
        var (t1, t2) = (_recorder.Begin(), _recorder.Begin());
        foreach (var t in new[] { t1, t2 })
        {
            t.Read("x", null, 0);
            t.Read("y", null, 0);
        }

        t1.Wrote("x", 1);
        t2.Wrote("y", 1);
        _recorder.Finish(t1, TransactionOutcome.Committed);
        _recorder.Finish(t2, TransactionOutcome.Committed);

        var serializable = SerializabilityChecker.Check(_recorder.History);
        var snapshot = SnapshotIsolationChecker.Check(_recorder.History);

        var cycle = Assert.Single(serializable.Anomalies);
        Assert.Equal(AnomalyKind.Cycle, cycle.Kind);
        Assert.Contains($"T{t1.Id} -rw(y)-> T{t2.Id}", cycle.Description);
        Assert.Contains($"T{t2.Id} -rw(x)-> T{t1.Id}", cycle.Description);
        Assert.True(snapshot.IsConsistent, snapshot.ToString());
    }

    [Fact]
    public void Check_ReadOnlyAnomaly_SerializableReportsCycleAndSnapshotAccepts()
    {
        // Fekete's read-only anomaly: T2 reads x0,y0 and writes x; T1 writes y and commits; T3
        // reads x0 and y1. T2 -rw-> T1 -wr-> T3 -rw-> T2 (two consecutive rw across T3 -> T2 -> T1).
        var t2 = _recorder.Begin();
        t2.Read("x", null, 0);
        t2.Read("y", null, 0);
        var t1 = _recorder.Begin();
        t1.Wrote("y", 1);
        _recorder.Finish(t1, TransactionOutcome.Committed);
        var t3 = _recorder.Begin(readOnly: true);
        t3.Read("x", null, 0);
        t3.Read("y", t1.ValueFor("y"), 1);
        _recorder.Finish(t3, TransactionOutcome.Committed);
        t2.Wrote("x", 1);
        _recorder.Finish(t2, TransactionOutcome.Committed);

        Assert.True(SerializabilityChecker.Check(_recorder.History).Has(AnomalyKind.Cycle));
        var snapshot = SnapshotIsolationChecker.Check(_recorder.History);
        Assert.True(snapshot.IsConsistent, snapshot.ToString());
    }

    [Fact]
    public void Check_FracturedRead_BothLevelsReportCycle()
    {
        // T2 sees T1's x but not T1's y: T1 -wr-> T2 -rw-> T1, only one rw edge.
        var t1 = _recorder.Begin();
        var t2 = _recorder.Begin(readOnly: true);
        t1.Wrote("x", 1);
        t1.Wrote("y", 1);
        _recorder.Finish(t1, TransactionOutcome.Committed);
        t2.Read("x", t1.ValueFor("x"), 1);
        t2.Read("y", null, 0);
        _recorder.Finish(t2, TransactionOutcome.Committed);

        AssertBothReport(AnomalyKind.Cycle);
    }

    [Fact]
    public void Check_AlternatingAntiDependencies_SnapshotReportsCycle()
    {
        // T1 -rw(x)-> T2 -wr(y)-> T3 -rw(z)-> T4 -wr(w)-> T1: two rw edges, never consecutive.
        var (t1, t2, t3, t4) = (_recorder.Begin(), _recorder.Begin(), _recorder.Begin(), _recorder.Begin());
        t1.Read("x", null, 0);
        t2.Wrote("x", 1);
        t2.Wrote("y", 1);
        t3.Read("y", t2.ValueFor("y"), 1);
        t3.Read("z", null, 0);
        t4.Wrote("z", 1);
        t4.Wrote("w", 1);
        t1.Read("w", t4.ValueFor("w"), 1);
        foreach (var t in new[] { t1, t2, t3, t4 })
        {
            _recorder.Finish(t, TransactionOutcome.Committed);
        }

        var snapshot = SnapshotIsolationChecker.Check(_recorder.History, realTimeOrder: false);

        var cycle = Assert.Single(snapshot.Anomalies);
        Assert.Equal(AnomalyKind.Cycle, cycle.Kind);
        Assert.True(SerializabilityChecker.Check(_recorder.History, realTimeOrder: false).Has(AnomalyKind.Cycle));
    }

    [Fact]
    public void Check_StaleRead_RealTimeOrderMakesACycle()
    {
        // T1's commit was acknowledged before T2 began, yet T2 read the version before it.
        var t1 = _recorder.Begin();
        t1.Wrote("x", 1);
        _recorder.Finish(t1, TransactionOutcome.Committed);
        var t2 = _recorder.Begin(readOnly: true);
        t2.Read("x", null, 0);
        _recorder.Finish(t2, TransactionOutcome.Committed);

        AssertBothReport(AnomalyKind.Cycle);
        Assert.True(SerializabilityChecker.Check(_recorder.History, realTimeOrder: false).IsConsistent);
    }

    [Fact]
    public void Check_ReadOfAbortedWrite_BothLevelsReportG1a()
    {
        var t1 = _recorder.Begin();
        t1.Wrote("x", 1);
        var t2 = _recorder.Begin(readOnly: true);
        t2.Read("x", t1.ValueFor("x"), 1);
        _recorder.Finish(t1, TransactionOutcome.Aborted);
        _recorder.Finish(t2, TransactionOutcome.Committed);

        AssertBothReport(AnomalyKind.AbortedRead);
        Assert.Contains($"T{t1.Id}", SerializabilityChecker.Check(_recorder.History).Anomalies.First(a => a.Kind == AnomalyKind.AbortedRead).Description);
    }

    [Fact]
    public void Check_TwoWritersOfTheSameVersion_BothLevelsReportLostUpdate()
    {
        var (t1, t2) = (_recorder.Begin(), _recorder.Begin());
        t1.Read("x", null, 0);
        t2.Read("x", null, 0);
        t1.Wrote("x", 1);
        t2.Wrote("x", 1);
        _recorder.Finish(t1, TransactionOutcome.Committed);
        _recorder.Finish(t2, TransactionOutcome.Committed);

        AssertBothReport(AnomalyKind.LostUpdate);
    }

    [Fact]
    public void Check_VersionWithoutCommittedWriter_ReportsMissingVersion()
    {
        // The aborted T1's write must not count as version 1, yet T2 overwrote "version 1".
        var t1 = _recorder.Begin();
        t1.Wrote("x", 1);
        _recorder.Finish(t1, TransactionOutcome.Aborted);
        var t2 = _recorder.Begin();
        t2.Wrote("x", 2);
        _recorder.Finish(t2, TransactionOutcome.Committed);

        AssertBothReport(AnomalyKind.MissingVersion);
    }

    [Fact]
    public void Check_InDoubtWriteThatWasObserved_CountsAsCommitted()
    {
        var t1 = _recorder.Begin();
        t1.Wrote("x", 1);
        _recorder.Finish(t1, TransactionOutcome.Unknown);
        var t2 = _recorder.Begin(readOnly: true);
        t2.Read("x", t1.ValueFor("x"), 1);
        _recorder.Finish(t2, TransactionOutcome.Committed);
        var t3 = _recorder.Begin();
        t3.Wrote("y", 1);
        _recorder.Finish(t3, TransactionOutcome.Unknown);

        var report = SerializabilityChecker.Check(_recorder.History);

        Assert.True(report.IsConsistent, report.ToString());
        Assert.Equal([t1.Id, t2.Id], report.Graph.Committed.Select(t => t.Id));
    }

    [Fact]
    public void Check_NonRepeatableRead_ReportsInternalInconsistency()
    {
        var t1 = _recorder.Begin();
        t1.Wrote("x", 1);
        var t2 = _recorder.Begin(readOnly: true);
        t2.Read("x", null, 0);
        _recorder.Finish(t1, TransactionOutcome.Committed);
        t2.Read("x", t1.ValueFor("x"), 1);
        _recorder.Finish(t2, TransactionOutcome.Committed);

        AssertBothReport(AnomalyKind.InternalInconsistency);
    }

    [Fact]
    public void Check_ReadOfUnknownValue_ReportsGarbageRead()
    {
        var t1 = _recorder.Begin(readOnly: true);
        t1.Read("x", WrittenValue.Encode(999, "x"), 1);
        _recorder.Finish(t1, TransactionOutcome.Committed);

        AssertBothReport(AnomalyKind.GarbageRead);
    }

    private void AssertBothReport(AnomalyKind kind)
    {
        var serializable = SerializabilityChecker.Check(_recorder.History);
        var snapshot = SnapshotIsolationChecker.Check(_recorder.History);
        Assert.True(serializable.Has(kind), serializable.ToString());
        Assert.True(snapshot.Has(kind), snapshot.ToString());
    }
}
