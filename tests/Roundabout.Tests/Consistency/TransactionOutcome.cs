namespace Roundabout.Tests.Consistency;

/// <summary>What the client learned about a transaction.</summary>
public enum TransactionOutcome
{
    /// <summary>Still running (never part of a finished history).</summary>
    Running,

    /// <summary>The commit was acknowledged.</summary>
    Committed,

    /// <summary>The transaction certainly did not take effect (a conflict or another abort).</summary>
    Aborted,

    /// <summary>In doubt: it may or may not have committed. The checker decides from what others observed.</summary>
    Unknown,
}
