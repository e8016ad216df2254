namespace Roundabout.Transactions;

/// <summary>Options of Roundabout's transaction agent, per process (silo or client).</summary>
/// <remarks>
/// There is no time-out of its own for the coordinator's calls to participants: each is a grain
/// call, bounded by Orleans' response time-out (<c>SiloMessagingOptions.ResponseTimeout</c>,
/// <c>ClientMessagingOptions.ResponseTimeout</c>; 30 s by default).
/// </remarks>
public sealed class RoundaboutTransactionOptions
{
    /// <summary>The isolation level of transactions that do not choose one. Default: <see cref="IsolationLevel.Serializable"/>.</summary>
    public IsolationLevel DefaultIsolation { get; set; } = IsolationLevel.Serializable;

    /// <summary>
    /// How long a participant keeps a prepared write undecided before it asks the decision
    /// record (and, if there is none, decides abort itself). Only liveness depends on it.
    /// Default: 5 seconds.
    /// </summary>
    public TimeSpan PreparedResolutionTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long a coordinator waits for a participant on its own silo to confirm an install that
    /// it sent without asking for an answer, before it sends the install again as a call and
    /// awaits the answer. Only how soon a lost install is delivered, and the transaction's decision
    /// record removed, depends on it. At least 100 milliseconds. Default: 2 seconds.
    /// </summary>
    public TimeSpan InstallConfirmationTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How long tentative writes of a transaction that neither committed nor aborted are kept
    /// before they are discarded (the transaction's client is presumed gone). Default: 60 seconds.
    /// </summary>
    public TimeSpan AbandonedTransactionTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// How long a transaction committer's operation (<c>[TransactionCommitter]</c>) may run. After it
    /// the coordinator gives up: the transaction's own writes are rolled back and the caller hears
    /// "in doubt", since what the operation did is unknown. Participants that wait for such a
    /// transaction presume abort only after this time and <see cref="PreparedResolutionTimeout"/>
    /// more have passed. Default: 30 seconds.
    /// </summary>
    public TimeSpan CommitOperationTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How many more times a transaction that Orleans' programming model starts is run when it
    /// aborts on a conflict (or on a snapshot no longer kept): a grain call that starts one
    /// (<c>[Transaction(Create)]</c>, or <c>CreateOrJoin</c> outside a transaction) and
    /// <c>ITransactionClient.RunTransaction</c> with a delegate whose transaction the call creates.
    /// Between attempts it waits an exponential back-off with jitter (1 ms doubling, at most
    /// 100 ms). Default: 0, off.
    /// </summary>
    /// <remarks>
    /// <para>
    /// Orleans' transactions make a conflicting transaction wait for a lock; Roundabout's abort it
    /// instead (nothing took effect), and the caller is expected to run it again. This does that
    /// for the caller, so that an application written for Orleans' locks keeps working unchanged
    /// under contention. The transaction's body runs again: set it only if transactional methods
    /// do nothing outside their transactional state (no calls to outside services, no messages
    /// sent) that must not happen twice. Calls that join a transaction are never run again on
    /// their own; the root of their transaction is. Application exceptions and "in doubt" are
    /// never retried.
    /// </para>
    /// <para>
    /// Set it in the options given to <c>AddRoundabout()</c> or <c>UseRoundaboutTransactions()</c>:
    /// a silo installs the grain call filter that retries only when that delegate sets it (the
    /// filter costs every grain call a few microseconds), and refuses to start when it is set
    /// elsewhere.
    /// </para>
    /// </remarks>
    public int RootConflictRetries { get; set; }

    /// <summary>
    /// The longest any of the time-outs may be: a day, far past any sensible setting, and well
    /// inside what a timer can wait (about 49 days), which a larger one would overrun.
    /// </summary>
    public static readonly TimeSpan MaxTimeout = TimeSpan.FromDays(1);

    /// <summary>The least <see cref="InstallConfirmationTimeout"/> takes: below it, installs that are only a little slow would be sent twice.</summary>
    public static readonly TimeSpan MinInstallConfirmationTimeout = TimeSpan.FromMilliseconds(100);

    /// <summary>The most <see cref="RootConflictRetries"/> takes.</summary>
    public const int MaxRootConflictRetries = 100;

    internal void Validate()
    {
        if (RootConflictRetries is < 0 or > MaxRootConflictRetries)
        {
            throw new ArgumentOutOfRangeException(nameof(RootConflictRetries), RootConflictRetries, $"{nameof(RootConflictRetries)} must be between 0 and {MaxRootConflictRetries}.");
        }

        if (InstallConfirmationTimeout < MinInstallConfirmationTimeout && InstallConfirmationTimeout > TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(InstallConfirmationTimeout), InstallConfirmationTimeout, $"{nameof(InstallConfirmationTimeout)} must be at least {MinInstallConfirmationTimeout.TotalMilliseconds} ms.");
        }

        if (!Enum.IsDefined(DefaultIsolation))
        {
            throw new ArgumentOutOfRangeException(nameof(DefaultIsolation), DefaultIsolation, "Unknown isolation level.");
        }

        foreach (var (name, value) in new[]
                 {
                     (nameof(PreparedResolutionTimeout), PreparedResolutionTimeout),
                     (nameof(AbandonedTransactionTimeout), AbandonedTransactionTimeout),
                     (nameof(CommitOperationTimeout), CommitOperationTimeout),
                     (nameof(InstallConfirmationTimeout), InstallConfirmationTimeout),
                 })
        {
            if (value <= TimeSpan.Zero)
            {
                throw new ArgumentOutOfRangeException(name, value, $"{name} must be positive.");
            }

            if (value > MaxTimeout)
            {
                throw new ArgumentOutOfRangeException(name, value, $"{name} must be at most {MaxTimeout}.");
            }
        }
    }
}
