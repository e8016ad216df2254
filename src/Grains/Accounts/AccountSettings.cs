namespace Roundabout.Accounts;

/// <summary>An account's settings. The balance itself is a commutative counter beside it.</summary>
[GenerateSerializer]
public sealed class AccountSettings
{
    [Id(0)]
    public long OverdraftLimit { get; set; }
}
