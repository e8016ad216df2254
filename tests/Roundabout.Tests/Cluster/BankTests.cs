using Roundabout.Accounts;
using Roundabout.Tests.Infrastructure;

namespace Roundabout.Tests.Cluster;

[Collection(ClusterCollection.Name)]
public sealed class BankTests(ClusterFixture fixture)
{
    private IGrainFactory Grains => fixture.Cluster.Grains;

    private IBankGrain Bank => Grains.GetGrain<IBankGrain>(0);

    [Fact]
    public async Task Transfer_WithFunds_MovesTheAmount()
    {
        var (a, b) = (Keys.New("acct"), Keys.New("acct"));
        await Grains.GetGrain<IAccountGrain>(a).Deposit(100);

        await Bank.Transfer(a, b, 30);

        Assert.Equal(70, await Grains.GetGrain<IAccountGrain>(a).GetBalance());
        Assert.Equal(30, await Grains.GetGrain<IAccountGrain>(b).GetBalance());
        Assert.Equal(100, await Bank.Audit([a, b]));
    }

    [Fact]
    public async Task Transfer_BeyondOverdraft_ThrowsInsufficientFundsAndChangesNothing()
    {
        var (a, b) = (Keys.New("acct"), Keys.New("acct"));
        await Grains.GetGrain<IAccountGrain>(a).Deposit(10);

        var error = await Assert.ThrowsAsync<InsufficientFundsException>(() => Bank.Transfer(a, b, 11));

        Assert.Contains(a, error.Message);
        Assert.Equal(10, await Grains.GetGrain<IAccountGrain>(a).GetBalance());
        Assert.Equal(0, await Grains.GetGrain<IAccountGrain>(b).GetBalance());
    }

    [Fact]
    public async Task Withdraw_WithinOverdraftLimit_GoesNegative()
    {
        var a = Keys.New("acct");
        var account = Grains.GetGrain<IAccountGrain>(a);
        await account.SetOverdraftLimit(50);

        await account.Withdraw(40);

        Assert.Equal(-40, await account.GetBalance());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    [InlineData(Money.MaxAmount + 1)]
    public async Task Transfer_BadAmount_ThrowsArgumentException(long amount)
    {
        var (a, b) = (Keys.New("acct"), Keys.New("acct"));
        await Grains.GetGrain<IAccountGrain>(a).Deposit(100);

        await Assert.ThrowsAnyAsync<ArgumentException>(() => Bank.Transfer(a, b, amount));

        Assert.Equal(100, await Bank.Audit([a, b]));
    }

    [Fact]
    public async Task Audit_AnAccountListedTwice_IsRefusedRatherThanCountedTwice()
    {
        var (a, b) = (Keys.New("acct"), Keys.New("acct"));
        await Grains.GetGrain<IAccountGrain>(a).Deposit(100);

        var error = await Assert.ThrowsAsync<ArgumentException>(() => Bank.Audit([a, b, a]));

        Assert.Contains($"'{a}' is listed more than once", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Transfer_ToSelf_ThrowsArgumentException()
    {
        var a = Keys.New("acct");
        var error = await Assert.ThrowsAsync<ArgumentException>(() => Bank.Transfer(a, a, 1));
        Assert.Contains("two different accounts", error.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public async Task Transfer_BlankKey_ThrowsArgumentException(string key)
    {
        await Assert.ThrowsAsync<ArgumentException>(() => Bank.Transfer(key, Keys.New("acct"), 1));
    }

    [Fact]
    public async Task Transfer_TooLongKey_ThrowsArgumentException()
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() => Bank.Transfer(new string('x', GrainKeys.MaxLength + 1), Keys.New("acct"), 1));
        Assert.Contains($"at most {GrainKeys.MaxLength} UTF-16 characters", error.Message);
    }

    [Fact]
    public async Task Deposit_DirectlyToATooLongAccountId_FailsWithAMessageNamingTheLimit()
    {
        var account = Grains.GetGrain<IAccountGrain>(new string('z', GrainKeys.MaxLength + 1));

        var error = await Assert.ThrowsAnyAsync<Exception>(() => account.Deposit(5));

        Assert.Contains($"at most {GrainKeys.MaxLength} UTF-16 characters", error.ToString());
    }

    [Fact]
    public async Task Deposit_Overflow_ThrowsAndChangesNothing()
    {
        var a = Keys.New("acct");
        var account = Grains.GetGrain<IAccountGrain>(a);
        for (var i = 0; i < 9; i++)
        {
            await account.Deposit(Money.MaxAmount);
        }

        var before = await account.GetBalance();
        await Assert.ThrowsAnyAsync<Exception>(() => account.Deposit(long.MaxValue));
        Assert.Equal(before, await account.GetBalance());
    }
}
