using Orleans.Transactions.Abstractions;
using Roundabout.Transactions.OneRound;

namespace Roundabout.Records;

[GrainType(Hosting.RoundaboutGrainTypes.Record)]
internal sealed class RecordGrain([TransactionalState("record")] ITransactionalState<RecordState> record) : Grain, IRecordGrain
{
    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        GrainKeys.Validate(this.GetPrimaryKeyString(), "key");
        return Task.CompletedTask;
    }

    /// <remarks>
    /// The value is a copy. <see cref="VersionedValue"/> is <c>[Immutable]</c>, so Orleans hands it
    /// to a caller in this process as it is, without copying: with the state's own array, a caller
    /// that changed the array it got changed the committed version in memory (even from a
    /// transaction that then aborted), while the log kept the old bytes.
    /// </remarks>
    public Task<VersionedValue> Get() => record.PerformRead(state => new VersionedValue(state.Value?.ToArray(), state.Version));

    public Task<PreparedPart> GetInRound(OneRoundTicket round) => this.RunOneRoundPart(round, Get);

    public Task<PreparedPart> PutInRound(OneRoundTicket round, byte[] value)
    {
        RecordLimits.ValidateValue(value); // before the round: bad input changes nothing
        return this.RunOneRoundPart(round, () => Put(value));
    }

    public Task<long> Put(byte[] value)
    {
        RecordLimits.ValidateValue(value);
        return record.PerformUpdate(state =>
        {
            state.Value = value;
            return ++state.Version;
        });
    }

    public Task<bool> Delete() => record.PerformUpdate(state =>
    {
        if (state.Value is null)
        {
            return false;
        }

        state.Value = null;
        state.Version++;
        return true;
    });

    public async Task<CompareAndSetResult> CompareAndSet(long expectedVersion, byte[] value)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(expectedVersion);
        RecordLimits.ValidateValue(value);

        // Read first: a mismatch must not make this transaction a writer of the record.
        var current = await record.PerformRead(state => state.Version);
        if (current != expectedVersion)
        {
            return new CompareAndSetResult(false, current);
        }

        var written = await record.PerformUpdate(state =>
        {
            state.Value = value;
            return ++state.Version;
        });
        return new CompareAndSetResult(true, written);
    }
}
