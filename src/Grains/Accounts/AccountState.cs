namespace Roundabout.Accounts;

[GenerateSerializer]
public sealed class AccountState
{
    [Id(0)]
    public long Balance { get; set; }

    [Id(1)]
    public long OverdraftLimit { get; set; }
}
