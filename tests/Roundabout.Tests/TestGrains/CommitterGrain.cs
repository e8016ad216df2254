using Orleans.Transactions.Abstractions;

namespace Roundabout.Tests.TestGrains;

/// <summary>An application grain that takes an Orleans transaction committer, which Roundabout does not run.</summary>
public interface ICommitterGrain : IGrainWithStringKey
{
    [Transaction(TransactionOption.CreateOrJoin)]
    Task Pay(long amount);
}

/// <summary>The external service the committer would call.</summary>
public interface IPaymentService
{
    Task<bool> Pay(Guid transactionId, long amount);
}

public sealed class CommitterGrain([TransactionCommitter("payments")] ITransactionCommitter<IPaymentService> payments) : Grain, ICommitterGrain
{
    public Task Pay(long amount) => payments.OnCommit(new Payment(amount));

    [GenerateSerializer]
    public sealed record Payment([property: Id(0)] long Amount) : ITransactionCommitOperation<IPaymentService>
    {
        public Task<bool> Commit(Guid transactionId, IPaymentService service) => service.Pay(transactionId, Amount);
    }
}
