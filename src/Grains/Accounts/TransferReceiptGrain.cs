using Orleans.Transactions.Abstractions;

namespace Roundabout.Accounts;

[GrainType(Hosting.RoundaboutGrainTypes.TransferReceipt)]
internal sealed class TransferReceiptGrain([TransactionalState("receipt")] ITransactionalState<TransferReceiptState> state) : Grain, ITransferReceiptGrain
{
    public Task<TransferReceipt> Get() => state.PerformRead(kept => kept.Receipt);

    public async Task<TransferReceipt> Record(TransferReceipt receipt)
    {
        ArgumentNullException.ThrowIfNull(receipt);
        var current = await state.PerformRead(kept => kept.Receipt);
        if (current.Status != TransferStatus.None)
        {
            return current;
        }

        return await state.PerformUpdate(kept => kept.Receipt = receipt);
    }
}
