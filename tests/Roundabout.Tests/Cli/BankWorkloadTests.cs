using System.Reflection;
using Roundabout.Accounts;
using Roundabout.Client.Workload;
using Roundabout.Transactions;

namespace Roundabout.Tests.Cli;

/// <summary>The workload behind `bank run` and `demo` goes on past passing failures and counts them.</summary>
public sealed class BankWorkloadTests
{
    [Fact]
    public async Task Run_TimeOutsAndSnapshotsTooOld_AreCountedAndTheRunGoesOn()
    {
        var grains = FakeGrains.Create(
            transfer: () => Task.FromException(new TimeoutException("the call timed out")),
            audit: () => Task.FromException<long>(new SnapshotTooOldException("tx", "the snapshot is too old")));
        var workload = new BankWorkload(grains, accounts: 4, concurrency: 2, initialBalance: 10)
        {
            Shape = new WorkloadShape(AuditShare: 0.5),
        };

        // Long enough for the workers to start on a cold, busy test host (300 ms was not, when
        // this test ran first: no iteration at all).
        await workload.RunAsync(TimeSpan.FromSeconds(3));

        Assert.True(workload.Failed > 0);
        Assert.Equal(0, workload.Committed);
    }

    /// <summary>A grain factory whose bank grain answers with the given calls: enough for the workload's loop.</summary>
    public class FakeGrains : DispatchProxy
    {
        private Func<Task> _transfer = () => Task.CompletedTask;
        private Func<Task<long>> _audit = () => Task.FromResult(0L);
        private IBankGrain? _bank;

        public static IGrainFactory Create(Func<Task> transfer, Func<Task<long>> audit)
        {
            var bank = Create<IBankGrain, FakeGrains>();
            var bankProxy = (FakeGrains)(object)bank;
            (bankProxy._transfer, bankProxy._audit) = (transfer, audit);
            var factory = Create<IGrainFactory, FakeGrains>();
            ((FakeGrains)(object)factory)._bank = bank;
            return factory;
        }

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args) => targetMethod?.Name switch
        {
            "GetGrain" when targetMethod.ReturnType == typeof(IBankGrain) => _bank,
            nameof(IBankGrain.Transfer) => _transfer(),
            nameof(IBankGrain.Audit) => _audit(),
            _ => throw new NotSupportedException(targetMethod?.Name),
        };
    }
}
