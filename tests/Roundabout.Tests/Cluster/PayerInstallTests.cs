using Roundabout.Accounts;
using Roundabout.Tests.Infrastructure;

namespace Roundabout.Tests.Cluster;

/// <summary>
/// The paying account's own install is a direct call in its turn, not a message, so
/// <see cref="IAccountGrain.TransferTo"/> must not return before it is made: once the call has
/// returned the account may deactivate, and an install still under way would go on writing the
/// account's record under its next activation. (Found by a review: transfers under frequent
/// deactivation made accounts fail with "changed by another writer" and reload.)
/// </summary>
public sealed class PayerInstallTests() : WrappedStoreClusterTest<HoldingRecordStore>(inner => new HoldingRecordStore(inner))
{
    private static readonly TimeSpan Prompt = TimeSpan.FromSeconds(20);

    protected override void BeforeStop() => Store.Release();

    [Fact]
    public async Task TransferTo_PayersInstallHeld_DoesNotReturnUntilItIsMade_AndTheAccountThenDeactivatesCleanly()
    {
        var (a, b) = (Keys.New("acct"), Keys.New("acct"));
        var payer = Cluster.Grains.GetGrain<IAccountGrain>(a);
        await payer.Deposit(100);
        var payerBalance = $"roundabout/counter/{payer.GetGrainId()}/balance";

        // Once the transfer's Commit is recorded, hold the payer's install.
        var decided = false;
        Store.HoldWrites = writes =>
        {
            if (DecisionWrites.HasCommit(writes))
            {
                decided = true;
                return false;
            }

            return decided && writes.Any(write => write.Key == payerBalance);
        };

        var transfer = payer.TransferTo(b, 30);
        await Store.FirstHeld.WaitAsync(Prompt);
        await Task.Delay(TimeSpan.FromMilliseconds(500));
        Assert.False(transfer.IsCompleted, "TransferTo returned while the payer's own install was still being written.");

        Store.Release();
        await transfer.WaitAsync(Prompt);
        await Cluster.Cluster.DeactivateAsync(payer);

        Assert.Equal(70, await payer.GetBalance().WaitAsync(Prompt));
        Assert.Equal(30, await Cluster.Grains.GetGrain<IAccountGrain>(b).GetBalance().WaitAsync(Prompt));
    }
}
