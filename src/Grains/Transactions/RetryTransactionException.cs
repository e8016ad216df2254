namespace Roundabout.Transactions;

/// <summary>Thrown by <see cref="Stm.Retry"/>: not an error, a request to wait and run again.</summary>
[GenerateSerializer]
public sealed class RetryTransactionException() : Exception("The transaction asked to be retried once something it read changes (Stm.Retry).");
