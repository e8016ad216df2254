namespace Roundabout.Transactions.Protocol;

/// <summary>The outcome of a transaction with several written participants, as its decision record states it.</summary>
internal enum Decision : byte
{
    Commit = 1,
    Abort = 2,

    /// <summary>
    /// Not an outcome yet: every participant voted yes and a transaction committer's operation is
    /// running, and its answer decides. The coordinator replaces it with Commit or Abort.
    /// </summary>
    Committing = 3,
}
