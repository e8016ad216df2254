using System.Collections.Concurrent;
using Roundabout.Accounts;
using Roundabout.Tests.Infrastructure;
using Roundabout.Transactions.Protocol;

namespace Roundabout.Tests.Cluster;

/// <summary>
/// <see cref="IAccountGrain.TransferTo"/>: the paying account runs the transfer as a one-round
/// transaction that it coordinates itself, so its own part and its install are direct calls and
/// only the other account gets messages.
/// </summary>
public sealed class AccountTransferTests : IAsyncLifetime
{
    private readonly ProtocolMessages _messages = new();
    private RoundaboutCluster _cluster = null!;

    public async Task InitializeAsync() =>
        _cluster = await RoundaboutCluster.StartAsync(configureSilo: silo => silo.AddIncomingGrainCallFilter(_messages.CountAsync));

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    private IAccountGrain Account(string id) => _cluster.Grains.GetGrain<IAccountGrain>(id);

    [Fact]
    public async Task TransferTo_MovesTheAmount_AndThePayerGetsNoProtocolMessage()
    {
        var (a, b) = (Keys.New("acct"), Keys.New("acct"));
        await Account(a).Deposit(100);
        _messages.Clear();

        await Account(a).TransferTo(b, 30);

        Assert.Equal(70, await Account(a).GetBalance());
        Assert.Equal(30, await Account(b).GetBalance());
        // The payee was installed by message (which shows the filter sees these calls); the payer
        // was prepared and installed in its own turn.
        Assert.Contains(nameof(ITransactionParticipantExtension.Commit), _messages.To(Account(b).GetGrainId()));
        Assert.Empty(_messages.To(Account(a).GetGrainId()));
    }

    [Fact]
    public async Task TransferTo_BeyondOverdraft_ThrowsInsufficientFundsAndChangesNothing()
    {
        var (a, b) = (Keys.New("acct"), Keys.New("acct"));
        await Account(a).Deposit(10);

        await Assert.ThrowsAsync<InsufficientFundsException>(() => Account(a).TransferTo(b, 11));

        Assert.Equal(10, await Account(a).GetBalance());
        Assert.Equal(0, await Account(b).GetBalance());
    }

    [Fact]
    public async Task TransferTo_Itself_OrABadAmount_IsRefusedAndChangesNothing()
    {
        var (a, b) = (Keys.New("acct"), Keys.New("acct"));
        await Account(a).Deposit(10);

        await Assert.ThrowsAnyAsync<ArgumentException>(() => Account(a).TransferTo(a, 5));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Account(a).TransferTo(b, 0));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Account(a).TransferTo(" ", 5));

        Assert.Equal(10, await Account(a).GetBalance());
        Assert.Equal(0, await Account(b).GetBalance());
    }

    [Fact]
    public async Task TransfersBothWays_AtOnce_AllCommitAndKeepTheTotal()
    {
        var (a, b) = (Keys.New("acct"), Keys.New("acct"));
        await Task.WhenAll(Account(a).Deposit(1_000), Account(b).Deposit(1_000));

        // Each account coordinates its own transfers while it is a part of the other's.
        await Task.WhenAll(Enumerable.Range(0, 40).Select(i => i % 2 == 0 ? Account(a).TransferTo(b, 7) : Account(b).TransferTo(a, 3)));

        Assert.Equal(1_000 - (20 * 7) + (20 * 3), await Account(a).GetBalance());
        Assert.Equal(2_000, await _cluster.Grains.GetGrain<IBankGrain>(0).Audit([a, b]));
    }

    /// <summary>Counts the protocol's messages (calls to <see cref="ITransactionParticipantExtension"/>) by the grain they went to.</summary>
    private sealed class ProtocolMessages
    {
        private readonly ConcurrentQueue<(GrainId Grain, string Method)> _received = new();

        public async Task CountAsync(IIncomingGrainCallContext call)
        {
            if (call.InterfaceMethod?.DeclaringType == typeof(ITransactionParticipantExtension))
            {
                _received.Enqueue((call.TargetId, call.MethodName));
            }

            await call.Invoke();
        }

        public void Clear() => _received.Clear();

        public List<string> To(GrainId grain) => [.. _received.Where(message => message.Grain == grain).Select(message => message.Method)];
    }
}
