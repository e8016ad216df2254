namespace Roundabout.Client.Commands;

/// <summary>An account that `bank init` did not open.</summary>
internal sealed class UnknownAccountException(string account)
    : Exception($"Unknown account '{account}'. Open accounts with `roundabout bank init` (see `roundabout bank list`).");
