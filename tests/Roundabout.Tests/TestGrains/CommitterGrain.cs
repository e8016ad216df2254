using System.Collections.Concurrent;
using Orleans.Transactions.Abstractions;

namespace Roundabout.Tests.TestGrains;

/// <summary>An application grain with an Orleans transaction committer that pays through <see cref="IPaymentService"/>.</summary>
public interface ICommitterGrain : IGrainWithStringKey
{
    [Transaction(TransactionOption.CreateOrJoin)]
    Task Pay(Payment payment);

    /// <summary>Takes two operations in one transaction: the second replaces the first, as in Orleans.</summary>
    [Transaction(TransactionOption.CreateOrJoin)]
    Task PayTwice(Payment first, Payment second);

    [Transaction(TransactionOption.CreateOrJoin)]
    [Orleans.Concurrency.ReadOnly]
    Task PayInReadOnly(Payment payment);
}

/// <summary>What the payment service does with a payment.</summary>
public enum PaymentAnswer
{
    Accept,
    Decline,
    Throw,
}

/// <summary>
/// A committer's operation: pays <see cref="Amount"/> under <see cref="Reference"/>, which the test
/// service records, after <see cref="Delay"/>, answering as <see cref="Answer"/> says.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record Payment(
    [property: Id(0)] string Reference,
    [property: Id(1)] long Amount,
    [property: Id(2)] PaymentAnswer Answer = PaymentAnswer.Accept,
    [property: Id(3)] TimeSpan Delay = default) : ITransactionCommitOperation<IPaymentService>
{
    public Task<bool> Commit(Guid transactionId, IPaymentService service) => service.Pay(transactionId, this);
}

/// <summary>The outside service the committer calls.</summary>
public interface IPaymentService
{
    Task<bool> Pay(Guid transactionId, Payment payment);
}

/// <summary>
/// Thrown by <see cref="RecordingPaymentService"/> for <see cref="PaymentAnswer.Throw"/>. Deliberately
/// not serializable, as an application's exception may not be: what it says must still reach the caller.
/// </summary>
public sealed class PaymentServiceDownException(string message) : Exception(message);

/// <summary>
/// The test clusters' payment service (keyed "payments" in every silo): records every call by the
/// payment's reference, in a process-wide ledger that the tests read.
/// </summary>
public sealed class RecordingPaymentService : IPaymentService
{
    public const string ServiceName = "payments";

    private static readonly ConcurrentDictionary<string, ConcurrentQueue<(Guid TransactionId, long Amount)>> Ledger = new();

    /// <summary>Every call made for <paramref name="reference"/>, in order.</summary>
    public static IReadOnlyList<(Guid TransactionId, long Amount)> CallsFor(string reference) =>
        Ledger.TryGetValue(reference, out var calls) ? [.. calls] : [];

    public async Task<bool> Pay(Guid transactionId, Payment payment)
    {
        Ledger.GetOrAdd(payment.Reference, _ => new()).Enqueue((transactionId, payment.Amount));
        if (payment.Delay > TimeSpan.Zero)
        {
            await Task.Delay(payment.Delay);
        }

        return payment.Answer switch
        {
            PaymentAnswer.Accept => true,
            PaymentAnswer.Decline => false,
            _ => throw new PaymentServiceDownException($"The payment service is down; payment {payment.Reference} was not confirmed."),
        };
    }
}

public sealed class CommitterGrain([TransactionCommitter(RecordingPaymentService.ServiceName)] ITransactionCommitter<IPaymentService> payments) : Grain, ICommitterGrain
{
    public Task Pay(Payment payment) => payments.OnCommit(payment);

    public async Task PayTwice(Payment first, Payment second)
    {
        await payments.OnCommit(first);
        await payments.OnCommit(second);
    }

    public Task PayInReadOnly(Payment payment) => payments.OnCommit(payment);
}
