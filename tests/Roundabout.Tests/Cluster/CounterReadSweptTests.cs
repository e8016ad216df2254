using Roundabout.Accounts;
using Roundabout.Storage;
using Roundabout.Tests.Infrastructure;
using Roundabout.Transactions;

namespace Roundabout.Tests.Cluster;

/// <summary>
/// As <see cref="CounterReadThenAddTests.ReadBalance_AnotherWithdrawalCommits_ThenWithdraw_Conflicts"/>,
/// with the entry that remembered the read swept as abandoned (after 1 s here; 60 s by default)
/// instead of dropped by a reactivation.
/// </summary>
public sealed class CounterReadSweptTests() : WrappedStoreClusterTest<IRecordStore>(
    inner => inner,
    options => options.AbandonedTransactionTimeout = TimeSpan.FromSeconds(1))
{
    private static readonly TimeSpan Step = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task ReadBalance_EntrySwept_AnotherWithdrawalCommits_ThenWithdraw_Conflicts()
    {
        var account = Cluster.Grains.GetGrain<IAccountGrain>(Keys.New("read-swept-withdraw"));
        await account.SetOverdraftLimit(1_000_000);
        await account.Deposit(100);

        var (read, goOn) = (new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously), new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        var withdrew = false;
        var first = Cluster.Transactions.RunAsync(async () =>
        {
            var seen = await account.GetBalance();
            read.TrySetResult(seen);
            await goOn.Task.WaitAsync(Step);
            if (seen >= 100)
            {
                await account.Withdraw(100);
                withdrew = true;
            }
        });

        Assert.Equal(100, await read.Task.WaitAsync(Step));
        await Task.Delay(TimeSpan.FromSeconds(2.5)); // the read's entry is idle past the time-out
        await account.Withdraw(100); // its addition sweeps the idle entry, and commits
        goOn.SetResult();

        await Assert.ThrowsAsync<TransactionConflictException>(() => first.WaitAsync(Step));
        Assert.True(withdrew);
        Assert.Equal(0, await account.GetBalance());
    }
}
