using Orleans.Transactions.Abstractions;

namespace Roundabout.Accounts;

[GrainType(Hosting.RoundaboutGrainTypes.TransferReceipt)]
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
