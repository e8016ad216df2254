using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using Orleans.Transactions;
using Roundabout.Transactions.Protocol;

namespace Roundabout.Transactions.OneRound;

/// <summary>The grain side of a one-round transaction: runs a part's body and prepares what it touched, in one call.</summary>
public static class OneRoundGrainExtensions
{
    /// <summary>
    /// Runs <paramref name="body"/> as this grain's part of the one-round transaction
    /// <paramref name="ticket"/>, then validates and prepares every transactional state of this
    /// grain that it read or wrote, before answering. Call it from an ordinary grain method (no
    /// <c>[Transaction]</c> attribute) that takes the ticket and returns the result.
    /// </summary>
    /// <remarks>
    /// Inside the body the grain's <c>[TransactionalState]</c>s and counters work as in any
    /// transaction, at the ticket's snapshot. The grain method must be <c>[AlwaysInterleave]</c> (the
    /// silo checks it at start; see <see cref="OneRoundPartMethodsValidator"/>). The body cannot
    /// start or join other transactions, directly or through the grains it calls (refused with
    /// <see cref="InvalidOperationException"/>): each grain of the transaction is one part, called
    /// by the coordinator. If the body throws, the part drops what it touched and the exception
    /// reaches the coordinator, which aborts the transaction and rethrows it to the caller.
    /// </remarks>
    public static Task<PreparedPart> RunOneRoundPart(this IGrainBase grain, OneRoundTicket ticket, Func<Task> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        return RunPartAsync(grain, ticket, async () =>
        {
            await body();
            return null;
        });
    }

    /// <summary>
    /// Like <see cref="RunOneRoundPart(IGrainBase, OneRoundTicket, Func{Task})"/>, for a body with a
    /// result: it comes back in <see cref="PreparedPart.Result"/>, and from
    /// <see cref="IRoundaboutTransactions.RunOneRoundAsync"/> once the transaction has committed.
    /// </summary>
    public static Task<PreparedPart> RunOneRoundPart<T>(this IGrainBase grain, OneRoundTicket ticket, Func<Task<T>> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        return RunPartAsync(grain, ticket, async () => await body());
    }

    private static async Task<PreparedPart> RunPartAsync(IGrainBase grain, OneRoundTicket ticket, Func<Task<object?>> body)
    {
        ArgumentNullException.ThrowIfNull(grain);
        ArgumentNullException.ThrowIfNull(ticket);
        var context = grain.GrainContext;
        var registry = ParticipantRegistry.GetOrCreate(context);
        var stamp = new TransactionStamp(ticket.ReadTimestamp, ticket.Isolation);
        var info = new TransactionInfo(ticket.TransactionId, DateTime.UtcNow, stamp.ToPriority(), readOnly: false);

        // Async-local, set inside this async method: the body sees it, the caller does not.
        AmbientTransaction.EnterOneRoundPart(info);
        object? result;
        try
        {
            result = await body();
        }
        catch
        {
            await DropAsync(registry, context, info);
            throw;
        }
        finally
        {
            AmbientTransaction.LeaveOneRoundPart();
        }

        if (info.OriginalException is not null)
        {
            // A state operation failed and the body caught it: the part must not prepare without
            // that operation (see the states' Doom), so it fails as that operation did.
            await DropAsync(registry, context, info);
            throw context.ActivationServices.GetRequiredService<Serializer<OrleansTransactionAbortedException>>().Deserialize(info.OriginalException)
                ?? new OrleansTransactionAbortedException(info.Id, "A state operation of this part failed.");
        }

        var request = new PrepareRequest(ticket.TransactionId, ticket.ReadTimestamp, ticket.CommitTimestamp, ticket.Isolation, Writes: 0, ticket.DecisionOrdering);
        var written = new List<ParticipantId>();
        var prepares = new List<Task<Vote>>();
        foreach (var (participant, access) in info.Participants)
        {
            if (access.Writes > 0)
            {
                written.Add(participant);
                prepares.Add(registry.Get(participant.Name, context.GrainId).Prepare(request with { Writes = access.Writes, Read = access.Reads > 0 }));
            }
            else if (access.Reads > 0)
            {
                // Validated under Serializable (and the state then holds off writes below t);
                // under Snapshot the state only forgets the read.
                prepares.Add(registry.Get(participant.Name, context.GrainId).Prepare(request));
            }
        }

        Vote[] votes;
        try
        {
            votes = await Task.WhenAll(prepares);
        }
        catch
        {
            await DropAsync(registry, context, info);
            throw;
        }

        if (Array.Find(votes, vote => !vote.IsYes) is { } refusal)
        {
            // No decision can be Commit without this part's yes, so the prepared writes can go now.
            await DropAsync(registry, context, info);
            return new PreparedPart(ticket.TransactionId, context.GrainId, [], refusal);
        }

        return new PreparedPart(ticket.TransactionId, context.GrainId, [.. written], Vote.Yes, result)
        {
            Installer = context.ActivationServices.GetRequiredService<CommitInstaller>().Instance,
        };
    }

    /// <summary>Drops every tentative or prepared write of the part, and forgets its reads.</summary>
    private static Task DropAsync(ParticipantRegistry registry, IGrainContext context, TransactionInfo info) =>
        Task.WhenAll(info.Participants.Keys.Select(participant => registry.Get(participant.Name, context.GrainId).Abort(info.TransactionId)));
}
