namespace Roundabout.Tests.TestGrains.ApplicationNamed;

// An application's own grains, named as Roundabout's grain classes are. Orleans names a grain type
// after its class unless told otherwise, so each of these would clash with Roundabout's and stop
// every silo of the test cluster from starting, unless Roundabout's grains have names of their own.

/// <summary>A plain grain that says which class answered.</summary>
public interface IApplicationNamedGrain : IGrainWithStringKey
{
    Task<string> Who();
}

public abstract class ApplicationNamedGrain : Grain, IApplicationNamedGrain
{
    public Task<string> Who() => Task.FromResult(GetType().Name);
}

public interface IAccountGrain : IApplicationNamedGrain;

public interface IBankGrain : IApplicationNamedGrain;

public interface IRecordGrain : IApplicationNamedGrain;

public interface ITransferReceiptGrain : IApplicationNamedGrain;

public interface ITimestampOracleGrain : IApplicationNamedGrain;

public interface ITransactionCoordinatorGrain : IApplicationNamedGrain;

public sealed class AccountGrain : ApplicationNamedGrain, IAccountGrain;

public sealed class BankGrain : ApplicationNamedGrain, IBankGrain;

public sealed class RecordGrain : ApplicationNamedGrain, IRecordGrain;

public sealed class TransferReceiptGrain : ApplicationNamedGrain, ITransferReceiptGrain;

public sealed class TimestampOracleGrain : ApplicationNamedGrain, ITimestampOracleGrain;

public sealed class TransactionCoordinatorGrain : ApplicationNamedGrain, ITransactionCoordinatorGrain;
