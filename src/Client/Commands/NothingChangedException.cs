namespace Roundabout.Client.Commands;

/// <summary>
/// A check made before a command changes anything (that its accounts are open, say) failed: the
/// person learns that nothing was changed, not that a change may be in doubt.
/// </summary>
internal sealed class NothingChangedException(string what, Exception inner)
    : Exception($"{what} failed ({CommandErrors.FirstLine(inner.Message)}); nothing was changed. Retry.", inner);
