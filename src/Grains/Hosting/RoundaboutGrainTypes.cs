namespace Roundabout.Hosting;

/// <summary>
/// The grain types of Roundabout's own grains. Orleans names a grain type after its class unless
/// told otherwise, so an application with its own <c>AccountGrain</c> or <c>BankGrain</c> (the
/// usual names in Orleans' transaction samples) could not start a silo beside ours. A state's
/// record key contains its grain id, so these names are part of the data format: renaming one
/// hides the data written under the old name.
/// </summary>
public static class RoundaboutGrainTypes
{
    public const string Account = "roundabout.account";

    public const string Bank = "roundabout.bank";

    public const string Record = "roundabout.record";

    public const string TransferReceipt = "roundabout.transfer-receipt";

    public const string TimestampOracle = "roundabout.timestamp-oracle";

    public const string TransactionCoordinator = "roundabout.transaction-coordinator";
}
