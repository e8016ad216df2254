using Orleans.Transactions.Abstractions;

namespace Roundabout.Tests.TestGrains;

/// <summary>A state whose copies an application's <see cref="ITransactionDataCopier{TData}"/> makes (see <see cref="CountingNoteCopier"/>).</summary>
[GenerateSerializer]
public sealed class Note
{
    [Id(0)]
    public int Value { get; set; }
}

/// <summary>The application's copier for <see cref="Note"/>: counts its copies, so a test sees whether the state used it.</summary>
public sealed class CountingNoteCopier : ITransactionDataCopier<Note>
{
    private static int _copies;

    public static int Copies => Volatile.Read(ref _copies);

    public Note DeepCopy(Note original)
    {
        Interlocked.Increment(ref _copies);
        return new Note { Value = original.Value };
    }
}

public interface INotedGrain : IGrainWithStringKey
{
    /// <summary>Adds to the note and returns the note as it reads afterwards (a copy, through the copier).</summary>
    [Transaction(TransactionOption.CreateOrJoin)]
    Task<Note> Add(int delta);
}

public sealed class NotedGrain([TransactionalState("note")] ITransactionalState<Note> note) : Grain, INotedGrain
{
    public async Task<Note> Add(int delta)
    {
        await note.PerformUpdate(state => state.Value += delta);
        return await note.PerformRead(state => state);
    }
}
