using Orleans.Transactions.Abstractions;

namespace Roundabout.Accounts;

// In Roundabout's own namespace of grain types: the default, the class name, would clash with an
// application's grain of the same name, and the silo would refuse to start.
[GrainType("roundabout.transfer-receipt")]
public sealed class TransferReceiptGrain([TransactionalState("receipt")] ITransactionalState<TransferReceiptState> receipt) : Grain, ITransferReceiptGrain
{
    public Task<TransferReceipt> Get() => receipt.PerformRead(state => state.Receipt);

    public async Task<TransferReceipt> Record(TransferReceipt outcome)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        var current = await receipt.PerformRead(state => state.Receipt);
        if (current.Status != TransferStatus.None)
        {
            return current;
        }

        return await receipt.PerformUpdate(state => state.Receipt = outcome);
    }
}
