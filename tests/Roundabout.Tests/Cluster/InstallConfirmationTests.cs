using Microsoft.Extensions.Logging;
using Roundabout.Accounts;
using Roundabout.Silo.Persistence.Memory;
using Roundabout.Storage;
using Roundabout.Tests.Infrastructure;
using Roundabout.Tests.TestGrains;
using Roundabout.Transactions.Protocol;

namespace Roundabout.Tests.Cluster;

/// <summary>
/// A coordinator sends the installs of participants on its own silo one-way, and those confirm them
/// in-process; participants on other silos get installs they answer. The decision
/// record goes once every install is confirmed or answered, and an install that is lost on the way
/// is sent again, as a call, after the confirmation time-out.
/// </summary>
public sealed class InstallConfirmationTests
{
    private const string OneWayInstall = "CommitAndConfirm";
    private const string AnsweredInstall = "Commit";
    private static readonly TimeSpan Prompt = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Transfers_OnOneSiloAndAcrossTwo_EveryDecisionRecordGoesByConfirmationsAlone()
    {
        // Nothing is ever sent again within the test, and no participant settles by itself: only
        // the confirmations and the answers can remove the decision records.
        var installs = new InstallCalls();
        await using var cluster = await StartAsync(silos: 2, confirmationTimeout: TimeSpan.FromMinutes(10), resolutionTimeout: TimeSpan.FromMinutes(10), installs);
        var accounts = Enumerable.Range(0, 40).Select(_ => Keys.New("acct")).ToArray();
        await Task.WhenAll(accounts.Select(account => cluster.Grains.GetGrain<IAccountGrain>(account).Deposit(1_000)));
        var bank = cluster.Grains.GetGrain<IBankGrain>(0);

        var random = new Random(7);
        await Task.WhenAll(Enumerable.Range(0, 200).Select(i =>
        {
            var from = accounts[random.Next(accounts.Length)];
            var to = accounts.Where(account => account != from).ElementAt(random.Next(accounts.Length - 1));
            return bank.Transfer(from, to, 1 + (i % 10));
        }));

        await WaitUntilAsync(() => cluster.Store.KeysWithPrefix("roundabout/tx/").Count == 0);
        Assert.Equal(40_000, await bank.Audit(accounts));
        Assert.True(installs.Count(OneWayInstall) > 0, "no install was sent one-way: every part ran on another silo than its coordinator");
        Assert.True(installs.Count(AnsweredInstall) > 0, "no install was answered: every part ran on its coordinator's silo, so the test did not mix the two");
    }

    [Fact]
    public async Task OneWayInstalls_Lost_AreSentAgainAsCallsAndTheDecisionRecordGoes()
    {
        var installs = new InstallCalls { DropOneWay = true };
        await using var cluster = await StartAsync(silos: 1, confirmationTimeout: TimeSpan.FromSeconds(1), resolutionTimeout: TimeSpan.FromMinutes(10), installs);
        var (from, to) = (Keys.New("acct"), Keys.New("acct"));
        await cluster.Grains.GetGrain<IAccountGrain>(from).Deposit(100);
        var bank = cluster.Grains.GetGrain<IBankGrain>(0);

        await bank.Transfer(from, to, 30);

        // Both installs are lost; the prepared deposit holds readers until one arrives again.
        await WaitUntilAsync(() => installs.Count(OneWayInstall) == 2);
        Assert.Equal(30, await cluster.Grains.GetGrain<IAccountGrain>(to).GetBalance().WaitAsync(Prompt));
        Assert.Equal(70, await cluster.Grains.GetGrain<IAccountGrain>(from).GetBalance().WaitAsync(Prompt));
        await WaitUntilAsync(() => cluster.Store.KeysWithPrefix("roundabout/tx/").Count == 0);
        Assert.Equal(2, installs.Count(AnsweredInstall));
    }

    /// <summary>The same for a transaction of Orleans' programming model: its grains answer prepare with their silo's installer.</summary>
    [Fact]
    public async Task OneWayInstalls_OfATransactionAttributeTransaction_Lost_AreSentAgainAndTheDecisionRecordGoes()
    {
        var installs = new InstallCalls { DropOneWay = true };
        await using var cluster = await StartAsync(silos: 1, confirmationTimeout: TimeSpan.FromSeconds(1), resolutionTimeout: TimeSpan.FromMinutes(10), installs);
        var (x, y) = (cluster.Grains.GetGrain<ITallyGrain>(Keys.New("tally")), cluster.Grains.GetGrain<ITallyGrain>(Keys.New("tally")));

        await cluster.TransactionClient.RunTransaction(TransactionOption.Create, async () =>
        {
            await x.Add(5);
            await y.Add(7);
        });

        await WaitUntilAsync(() => installs.Count(OneWayInstall) == 2);
        Assert.Equal(5, await x.GetTotal().WaitAsync(Prompt));
        Assert.Equal(7, await y.GetTotal().WaitAsync(Prompt));
        await WaitUntilAsync(() => cluster.Store.KeysWithPrefix("roundabout/tx/").Count == 0);
        Assert.Equal(2, installs.Count(AnsweredInstall));
    }

    /// <summary>
    /// A transaction with a commit operation (a <c>[TransactionCommitter]</c>) installs in the same
    /// way once the operation has committed: the committer's install and the state's both go
    /// one-way on one silo, and their confirmations remove the decision record.
    /// </summary>
    [Fact]
    public async Task Installs_OfATransactionWithACommitOperation_AreConfirmedOnTheSiloAndTheDecisionRecordGoes()
    {
        // Nothing is ever sent again within the test, and no participant settles by itself.
        var installs = new InstallCalls();
        await using var cluster = await StartAsync(silos: 1, confirmationTimeout: TimeSpan.FromMinutes(10), resolutionTimeout: TimeSpan.FromMinutes(10), installs);
        var tally = cluster.Grains.GetGrain<ITallyGrain>(Keys.New("tally"));
        var committer = cluster.Grains.GetGrain<ICommitterGrain>(Keys.New("committer"));

        await cluster.TransactionClient.RunTransaction(TransactionOption.Create, async () =>
        {
            await tally.Add(5);
            await committer.Pay(new Payment(Keys.New("payment"), 1));
        });

        await WaitUntilAsync(() => cluster.Store.KeysWithPrefix("roundabout/tx/").Count == 0);
        Assert.Equal(5, await tally.GetTotal());
        Assert.Equal(2, installs.Count(OneWayInstall));
        Assert.Equal(0, installs.Count(AnsweredInstall));
    }

    [Fact]
    public async Task OneWayInstall_WriteFails_IsNotConfirmedAndTheSlotSettlesCommittedFromTheDecision()
    {
        // Only the slot itself can settle here (after 1 s): nothing is sent again within the test.
        var installs = new InstallCalls();
        FaultInjectingRecordStore? store = null;
        await using var cluster = await StartAsync(silos: 1, confirmationTimeout: TimeSpan.FromMinutes(10), resolutionTimeout: TimeSpan.FromSeconds(1), installs, wrapStore: inner => store = new FaultInjectingRecordStore(inner));
        var (from, to) = (Keys.New("acct"), Keys.New("acct"));
        await cluster.Grains.GetGrain<IAccountGrain>(from).Deposit(100);
        await cluster.Grains.GetGrain<IAccountGrain>(to).Deposit(100);
        var bank = cluster.Grains.GetGrain<IBankGrain>(0);

        // The source's balance is written twice by the transfer: its prepare, then its install.
        // Failing the install must keep the decision record, which the slot settles from when it
        // reloads its prepared withdrawal; confirmed regardless, the record would go, and the slot
        // would find no decision and roll the withdrawal back.
        var balanceWrites = 0;
        store!.FailWrites = writes => writes.Any(w => w.Key.Contains("/counter/", StringComparison.Ordinal) && w.Key.Contains(from, StringComparison.Ordinal))
            && Interlocked.Increment(ref balanceWrites) == 2;
        await bank.Transfer(from, to, 30);
        await WaitUntilAsync(() => store.InjectedFailures == 1);
        store.FailWrites = null;
        await WaitUntilAsync(() => installs.Count(OneWayInstall) == 2);

        // Until the failed activation is gone, its reads fail: ask again.
        long[]? balances = null;
        var deadline = DateTime.UtcNow + Prompt;
        while (balances is null)
        {
            try
            {
                balances = await Task.WhenAll(
                    cluster.Grains.GetGrain<IAccountGrain>(from).GetBalance(),
                    cluster.Grains.GetGrain<IAccountGrain>(to).GetBalance());
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(20);
            }
        }

        Assert.Equal(new long[] { 70, 130 }, balances);
    }

    /// <summary>A stopping silo stops sending installs again: its grains are deactivating, and such calls could only fail and warn.</summary>
    [Fact]
    public async Task SiloStopping_StopsSendingUnconfirmedInstallsAgain()
    {
        var installs = new InstallCalls { DropOneWay = true };
        await using var cluster = await StartAsync(silos: 1, confirmationTimeout: TimeSpan.FromMinutes(10), resolutionTimeout: TimeSpan.FromMinutes(10), installs);
        var silo = cluster.Cluster.Silos[0];
        var installer = silo.SiloHost.Services.GetRequiredService<CommitInstaller>();
        var (from, to) = (Keys.New("acct"), Keys.New("acct"));
        await cluster.Grains.GetGrain<IAccountGrain>(from).Deposit(100);
        await cluster.Grains.GetGrain<IBankGrain>(0).Transfer(from, to, 30);
        await WaitUntilAsync(() => installs.Count(OneWayInstall) == 2);
        Assert.True(installer.IsResending, "the lost installs are not being watched");

        await silo.SiloHost.StopAsync();

        Assert.False(installer.IsResending, "the silo stopped, and its installer still sends installs again");
    }

    /// <summary>
    /// Sending again must survive its own failures, here a logger that throws once: in the round
    /// itself (as it logs what it sends again), or in a call that failed (as it logs that). The
    /// installs are still sent, in that round or a later one, and the decision record still goes.
    /// </summary>
    [Theory]
    [InlineData("sending it again and awaiting the answer", false)]
    [InlineData("did not answer its install", true)]
    public async Task Resending_ItsLoggingThrows_TheInstallsAreStillSentAndTheDecisionRecordGoes(string throwWhenLogging, bool failFirstCall)
    {
        var installs = new InstallCalls { DropOneWay = true, FailFirstAnswered = failFirstCall };
        var logs = new FailingOnceLoggerProvider(throwWhenLogging);
        await using var cluster = await StartAsync(
            silos: 1,
            confirmationTimeout: TimeSpan.FromSeconds(1),
            resolutionTimeout: TimeSpan.FromMinutes(10),
            installs,
            alsoConfigure: silo => silo.Services.AddLogging(logging => logging
                .AddProvider(logs)
                .AddFilter<FailingOnceLoggerProvider>(typeof(CommitInstaller).FullName, LogLevel.Debug)));
        var (from, to) = (Keys.New("acct"), Keys.New("acct"));
        await cluster.Grains.GetGrain<IAccountGrain>(from).Deposit(100);

        await cluster.Grains.GetGrain<IBankGrain>(0).Transfer(from, to, 30);

        await WaitUntilAsync(() => logs.Failed);
        await WaitUntilAsync(() => cluster.Store.KeysWithPrefix("roundabout/tx/").Count == 0);
        Assert.Equal(failFirstCall ? 3 : 2, installs.Count(AnsweredInstall));
        Assert.Equal(30, await cluster.Grains.GetGrain<IAccountGrain>(to).GetBalance().WaitAsync(Prompt));
        Assert.Equal(70, await cluster.Grains.GetGrain<IAccountGrain>(from).GetBalance().WaitAsync(Prompt));
    }

    private static Task<RoundaboutCluster> StartAsync(
        short silos, TimeSpan confirmationTimeout, TimeSpan resolutionTimeout, InstallCalls installs, Func<InMemoryRecordStore, IRecordStore>? wrapStore = null, Action<ISiloBuilder>? alsoConfigure = null) =>
        RoundaboutCluster.StartAsync(
            silos,
            configure: options =>
            {
                options.InstallConfirmationTimeout = confirmationTimeout;
                options.PreparedResolutionTimeout = resolutionTimeout;
            },
            wrapStore: wrapStore,
            configureSilo: silo =>
            {
                installs.Watch(silo);
                alsoConfigure?.Invoke(silo);
            });

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Prompt;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition did not hold in time");
            await Task.Delay(20);
        }
    }

    /// <summary>Counts the install messages the silos receive, and can lose the one-way ones.</summary>
    private sealed class InstallCalls
    {
        private readonly Dictionary<string, int> _counts = [];

        public bool DropOneWay { get; init; }

        /// <summary>Whether the first answered install fails, as a call to a grain that is unreachable would.</summary>
        public bool FailFirstAnswered { get; init; }

        public int Count(string method)
        {
            lock (_counts)
            {
                return _counts.GetValueOrDefault(method);
            }
        }

        public void Watch(ISiloBuilder silo) => silo.AddIncomingGrainCallFilter(async call =>
        {
            var method = call.InterfaceMethod?.Name;
            if (method is OneWayInstall or AnsweredInstall)
            {
                int received;
                lock (_counts)
                {
                    received = _counts[method] = _counts.GetValueOrDefault(method) + 1;
                }

                if (DropOneWay && method == OneWayInstall)
                {
                    return; // never delivered to the participant
                }

                if (FailFirstAnswered && method == AnsweredInstall && received == 1)
                {
                    throw new TimeoutException("The install was lost (as the test asked).");
                }
            }

            await call.Invoke();
        });
    }

    /// <summary>A logging provider that throws the first time it is given a message containing <c>failOn</c>.</summary>
    private sealed class FailingOnceLoggerProvider(string failOn) : ILoggerProvider, ILogger
    {
        private int _failed;

        public bool Failed => Volatile.Read(ref _failed) == 1;

        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (formatter(state, exception).Contains(failOn, StringComparison.Ordinal) && Interlocked.Exchange(ref _failed, 1) == 0)
            {
                throw new InvalidOperationException("The logger failed (as the test asked).");
            }
        }

        public void Dispose()
        {
        }
    }
}
