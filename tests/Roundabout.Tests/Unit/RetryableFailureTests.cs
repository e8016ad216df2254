using Orleans.Transactions;
using Roundabout.Transactions;
using Roundabout.Transactions.Retries;

namespace Roundabout.Tests.Unit;

/// <summary>What the retry of transaction roots runs again: only failures that certainly took no effect.</summary>
public sealed class RetryableFailureTests
{
    public static TheoryData<Exception, bool> Failures => new()
    {
        { new TransactionConflictException("t", "conflict"), true },
        { new SnapshotTooOldException("t", "too old"), true },
        { new OrleansTransactionTransientFailureException("t", "no timestamp"), true },
        { new OrleansTransactionAbortedException("t", new TransactionConflictException("t", "conflict at a joined grain")), true },
        { new OrleansTransactionAbortedException("t", "declined by a commit operation"), false },
        { new OrleansTransactionAbortedException("t", new InvalidOperationException("the application's own")), false },
        { new OrleansTransactionInDoubtException("t", "unknown outcome", null), false },
        { new InvalidOperationException("the application's own", new TransactionConflictException("t", "conflict")), false },
        { new TimeoutException(), false },
    };

    [Theory]
    [MemberData(nameof(Failures))]
    public void IsRetryable(Exception failure, bool retryable) => Assert.Equal(retryable, RootConflictRetry.IsRetryable(failure));

    [Fact]
    public void IsRetryable_Nothing_IsNot() => Assert.False(RootConflictRetry.IsRetryable(null));
}
