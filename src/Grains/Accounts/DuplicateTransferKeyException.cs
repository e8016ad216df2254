namespace Roundabout.Accounts;

/// <summary>An idempotency key was reused for a different transfer. Nothing was changed.</summary>
[GenerateSerializer]
public sealed class DuplicateTransferKeyException(string key, TransferReceipt recorded)
    : ArgumentException($"The idempotency key '{key}' already belongs to a transfer of {recorded.Amount} from '{recorded.From}' to '{recorded.To}'; use a new key for a different transfer.", "idempotencyKey");
