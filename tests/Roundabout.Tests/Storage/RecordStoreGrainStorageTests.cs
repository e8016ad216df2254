using System.Text.Json;
using Orleans.Storage;
using Roundabout.Silo.Persistence.GrainStorage;
using Roundabout.Silo.Persistence.GroupCommit;

namespace Roundabout.Tests.Storage;

/// <summary>Orleans grain state through <see cref="RecordStoreGrainStorage"/> on the group-commit store.</summary>
public sealed class RecordStoreGrainStorageTests : IAsyncLifetime
{
    private const string StateName = "counter";
    private static readonly GrainId Grain = GrainId.Create("test", "key");
    private readonly TempDataDirectory _directory = new();
    private GroupCommitRecordStore _store = null!;
    private RecordStoreGrainStorage _storage = null!;

    public Task InitializeAsync()
    {
        Open();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        _directory.Dispose();
    }

    [Fact]
    public async Task ReadStateAsync_NoRecord_GivesDefaultStateWithoutETag()
    {
        var state = new GrainState<CounterState>(new CounterState { Value = 99 }, "stale");

        await _storage.ReadStateAsync(StateName, Grain, state);

        Assert.Equal(0, state.State!.Value);
        Assert.Null(state.ETag);
        Assert.False(state.RecordExists);
    }

    [Fact]
    public async Task WriteStateAsync_ThenReadStateAsync_RoundTripsStateAndETagAcrossReopen()
    {
        var written = new GrainState<CounterState>(new CounterState { Value = 1, Name = "één" });
        await _storage.WriteStateAsync(StateName, Grain, written);
        written.State!.Value = 2;
        await _storage.WriteStateAsync(StateName, Grain, written);
        Assert.NotNull(written.ETag);
        Assert.True(written.RecordExists);
        await Reopen();

        var read = new GrainState<CounterState>();
        await _storage.ReadStateAsync(StateName, Grain, read);

        Assert.Equal(2, read.State!.Value);
        Assert.Equal("één", read.State!.Name);
        Assert.Equal(written.ETag, read.ETag);
        Assert.True(read.RecordExists);
    }

    [Fact]
    public async Task WriteStateAsync_StaleETag_ThrowsInconsistentStateAndChangesNothing()
    {
        var first = new GrainState<CounterState>(new CounterState { Value = 1 });
        await _storage.WriteStateAsync(StateName, Grain, first);
        var stale = new GrainState<CounterState>(new CounterState { Value = 100 }, first.ETag);
        first.State!.Value = 2;
        await _storage.WriteStateAsync(StateName, Grain, first);

        await Assert.ThrowsAsync<InconsistentStateException>(() => _storage.WriteStateAsync(StateName, Grain, stale));
        await Assert.ThrowsAsync<InconsistentStateException>(() =>
            _storage.WriteStateAsync(StateName, Grain, new GrainState<CounterState>(new CounterState { Value = 300 })));

        var read = new GrainState<CounterState>();
        await _storage.ReadStateAsync(StateName, Grain, read);
        Assert.Equal(2, read.State!.Value);
        Assert.Equal(first.ETag, read.ETag);
    }

    [Fact]
    public async Task ClearStateAsync_CurrentETag_DeletesTheRecordDurably()
    {
        var state = new GrainState<CounterState>(new CounterState { Value = 5 });
        await _storage.WriteStateAsync(StateName, Grain, state);

        await _storage.ClearStateAsync(StateName, Grain, state);

        Assert.Null(state.ETag);
        Assert.False(state.RecordExists);
        Assert.Equal(0, _store.Count);
        await Reopen();
        var read = new GrainState<CounterState>();
        await _storage.ReadStateAsync(StateName, Grain, read);
        Assert.False(read.RecordExists);
        await _storage.WriteStateAsync(StateName, Grain, new GrainState<CounterState>(new CounterState { Value = 6 })); // can be created again
    }

    [Fact]
    public async Task ClearStateAsync_StaleETag_ThrowsInconsistentStateAndKeepsTheRecord()
    {
        var state = new GrainState<CounterState>(new CounterState { Value = 5 });
        await _storage.WriteStateAsync(StateName, Grain, state);
        var stale = new GrainState<CounterState>(new CounterState(), state.ETag);
        await _storage.WriteStateAsync(StateName, Grain, state);

        await Assert.ThrowsAsync<InconsistentStateException>(() => _storage.ClearStateAsync(StateName, Grain, stale));

        var read = new GrainState<CounterState>();
        await _storage.ReadStateAsync(StateName, Grain, read);
        Assert.True(read.RecordExists);
        Assert.Equal(state.ETag, read.ETag);
    }

    [Fact]
    public async Task ClearStateAsync_ReadNoRecordButAnotherActivationWroteOne_ThrowsInconsistentStateAndKeepsIt()
    {
        var mine = new GrainState<CounterState>();
        await _storage.ReadStateAsync(StateName, Grain, mine); // no record: no ETag
        await _storage.WriteStateAsync(StateName, Grain, new GrainState<CounterState>(new CounterState { Value = 7 }));

        await Assert.ThrowsAsync<InconsistentStateException>(() => _storage.ClearStateAsync(StateName, Grain, mine));

        var read = new GrainState<CounterState>();
        await _storage.ReadStateAsync(StateName, Grain, read);
        Assert.Equal(7, read.State!.Value);
    }

    [Fact]
    public async Task ClearStateAsync_NoRecordAndNoETag_Succeeds()
    {
        var state = new GrainState<CounterState>();
        await _storage.ReadStateAsync(StateName, Grain, state);

        await _storage.ClearStateAsync(StateName, Grain, state);

        Assert.False(state.RecordExists);
    }

    [Fact]
    public async Task WriteStateAsync_OtherGrainOrStateName_KeepsStatesApart()
    {
        await _storage.WriteStateAsync(StateName, Grain, new GrainState<CounterState>(new CounterState { Value = 1 }));
        await _storage.WriteStateAsync("other", Grain, new GrainState<CounterState>(new CounterState { Value = 2 }));
        await _storage.WriteStateAsync(StateName, GrainId.Create("test", "key2"), new GrainState<CounterState>(new CounterState { Value = 3 }));

        var read = new GrainState<CounterState>();
        await _storage.ReadStateAsync(StateName, Grain, read);
        Assert.Equal(1, read.State!.Value);
        Assert.Equal(3, _store.Count);
    }

    private void Open()
    {
        _store = StorageTestKit.Open(_directory.Path);
        _storage = new RecordStoreGrainStorage("store", _store, new JsonTestSerializer());
    }

    private async Task Reopen()
    {
        await _store.DisposeAsync();
        Open();
    }

    public sealed class CounterState
    {
        public int Value { get; set; }

        public string Name { get; set; } = "";
    }

    private sealed class JsonTestSerializer : IGrainStorageSerializer
    {
        public BinaryData Serialize<T>(T? input) => BinaryData.FromBytes(JsonSerializer.SerializeToUtf8Bytes(input));

        public T Deserialize<T>(BinaryData input) => JsonSerializer.Deserialize<T>(input.ToMemory().Span)!;
    }
}
