using System.Reflection;
using Roundabout.Transactions;

namespace Roundabout.Tests.Client;

/// <summary>
/// The cluster's transactions, except that each <see cref="WaitForChangeAsync"/> call gives up
/// after at most <paramref name="cap"/>: the grains do the same at 20 s (so that a call never
/// outlives Orleans' response time-out), and a short cap lets a test see what the runner does
/// when a wait ends with "nothing changed" before the run's own time-out.
/// </summary>
internal sealed class CappedWaitTransactions(IRoundaboutTransactions inner, TimeSpan cap) : IRoundaboutTransactions
{
    private int _waits;

    /// <summary>How many wait calls the runner made.</summary>
    public int Waits => Volatile.Read(ref _waits);

    public Task<T> RunAsync<T>(Func<Task<T>> body, TransactionOptions? options = null) => inner.RunAsync(body, options);

    public Task RunAsync(Func<Task> body, TransactionOptions? options = null) => inner.RunAsync(body, options);

    public Task<IReadOnlyList<Transactions.OneRound.PreparedPart>> RunOneRoundAsync(
        Func<Transactions.OneRound.OneRoundTicket, IReadOnlyCollection<Task<Transactions.OneRound.PreparedPart>>> parts,
        TransactionOptions? options = null) => inner.RunOneRoundAsync(parts, options);

    public Task<bool> WaitForChangeAsync(RetryRequestedException retry, TimeSpan timeout)
    {
        Interlocked.Increment(ref _waits);
        return inner.WaitForChangeAsync(retry, timeout < cap ? timeout : cap);
    }
}

/// <summary>
/// An implementation of <typeparamref name="T"/> whose every call goes to a handler: to refuse
/// all calls (proof that nothing was sent), or to pass them on with a fault injected.
/// </summary>
public class InterceptingProxy<T> : DispatchProxy
    where T : class
{
    private Func<MethodInfo, object?[], object?> _handler = null!;

    public static T Create(Func<MethodInfo, object?[], object?> handler)
    {
        var proxy = Create<T, InterceptingProxy<T>>();
        ((InterceptingProxy<T>)(object)proxy)._handler = handler;
        return proxy;
    }

    /// <summary>Refuses every call: a client built on it must not contact the cluster.</summary>
    public static T Unreachable() => Create((method, _) =>
        throw new InvalidOperationException($"{typeof(T).Name}.{method.Name} was called: the input should have been refused before anything was sent."));

    /// <summary>Passes the call on to <paramref name="target"/>, with its own exception rather than reflection's wrapper.</summary>
    public static object? Forward(T target, MethodInfo method, object?[] args)
    {
        try
        {
            return method.Invoke(target, args);
        }
        catch (TargetInvocationException wrapped) when (wrapped.InnerException is { } cause)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(cause);
            throw;
        }
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args) => _handler(targetMethod!, args ?? []);
}
