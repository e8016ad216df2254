using Orleans.Storage;
using Roundabout.Storage;

namespace Roundabout.Silo.Persistence.GrainStorage;

/// <summary>
/// Orleans' <see cref="IGrainStorage"/> over the silo's record store, so any grain's
/// <c>[PersistentState]</c> gets group commit too. ETags are checked: a write based on a stale
/// read throws <see cref="InconsistentStateException"/> and changes nothing.
/// </summary>
public sealed class RecordStoreGrainStorage(string name, IRecordStore store, IGrainStorageSerializer serializer) : IGrainStorage
{
    public async Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var record = await store.ReadAsync(KeyOf(stateName, grainId));
        if (record is null)
        {
            grainState.State = Activator.CreateInstance<T>();
            grainState.ETag = null;
            grainState.RecordExists = false;
            return;
        }

        grainState.State = serializer.Deserialize<T>(new BinaryData(record.Value));
        grainState.ETag = record.ETag;
        grainState.RecordExists = true;
    }

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var bytes = serializer.Serialize(grainState.State).ToMemory();
        grainState.ETag = await store.WriteAsync(RecordWrite.Put(KeyOf(stateName, grainId), bytes, grainState.ETag));
        grainState.RecordExists = true;
    }

    public async Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        // Also with no ETag: "there is no record" is a claim the store checks, so a record that
        // another activation wrote meanwhile makes this throw instead of silently staying.
        await store.WriteAsync(RecordWrite.Delete(KeyOf(stateName, grainId), grainState.ETag));

        grainState.ETag = null;
        grainState.RecordExists = false;
        grainState.State = Activator.CreateInstance<T>();
    }

    private string KeyOf(string stateName, GrainId grainId) => $"grain/{name}/{stateName}/{grainId}";
}
