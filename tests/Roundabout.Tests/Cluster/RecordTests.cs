using System.Text;
using Roundabout.Records;
using Roundabout.Tests.Infrastructure;

namespace Roundabout.Tests.Cluster;

[Collection(ClusterCollection.Name)]
public sealed class RecordTests(ClusterFixture fixture)
{
    private IRecordGrain Record(string? key = null) => fixture.Cluster.Grains.GetGrain<IRecordGrain>(key ?? Keys.New("rec"));

    [Fact]
    public async Task Get_NeverWritten_ReturnsNoValueAtVersionZero()
    {
        var value = await Record().Get();

        Assert.False(value.Exists);
        Assert.Equal(0, value.Version);
    }

    [Fact]
    public async Task Put_ThenGet_ReturnsTheValueAndTheNewVersion()
    {
        var record = Record();

        Assert.Equal(1, await record.Put(Encoding.UTF8.GetBytes("{\"a\":1}")));
        Assert.Equal(2, await record.Put(Encoding.UTF8.GetBytes("{\"a\":2}")));

        var value = await record.Get();
        Assert.Equal("{\"a\":2}", Encoding.UTF8.GetString(value.Value!));
        Assert.Equal(2, value.Version);
    }

    [Fact]
    public async Task CompareAndSet_ExpectedVersion_WritesAndAStaleVersionChangesNothing()
    {
        var record = Record();
        await record.Put([1]);

        var stale = await record.CompareAndSet(0, [9]);
        var fresh = await record.CompareAndSet(1, [2]);

        Assert.False(stale.Succeeded);
        Assert.Equal(1, stale.Version);
        Assert.True(fresh.Succeeded);
        Assert.Equal(2, fresh.Version);
        Assert.Equal(new byte[] { 2 }, (await record.Get()).Value);
    }

    [Fact]
    public async Task Delete_Existing_RemovesTheValueAndCountsAVersion()
    {
        var record = Record();
        await record.Put([1]);

        Assert.True(await record.Delete());
        Assert.False(await record.Delete());

        var value = await record.Get();
        Assert.False(value.Exists);
        Assert.Equal(2, value.Version);
    }

    [Fact]
    public async Task CompareAndSet_InsideATransaction_CommitsWithTheOtherWrites()
    {
        var (a, b) = (Record(), Record());
        await fixture.Cluster.Transactions.RunAsync(async () =>
        {
            var result = await a.CompareAndSet(0, [7]);
            Assert.True(result.Succeeded);
            await b.Put([8]);
        });

        Assert.Equal(new byte[] { 7 }, (await a.Get()).Value);
        Assert.Equal(new byte[] { 8 }, (await b.Get()).Value);
    }

    [Fact]
    public async Task Put_Oversized_ThrowsArgumentExceptionAndChangesNothing()
    {
        var record = Record();
        await record.Put([1]);

        var error = await Assert.ThrowsAnyAsync<Exception>(() => record.Put(new byte[RecordLimits.MaxValueBytes + 1]));

        Assert.IsAssignableFrom<ArgumentException>(error is ArgumentException ? error : error.InnerException);
        Assert.Contains("at most", (error.InnerException ?? error).Message);
        Assert.Equal(1, (await record.Get()).Version);
    }

    [Fact]
    public async Task Put_Null_ThrowsArgumentException()
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => Record().Put(null!));

        Assert.IsAssignableFrom<ArgumentException>(error is ArgumentException ? error : error.InnerException);
    }

    [Fact]
    public async Task Get_TooLongKey_FailsWithAMessageNamingTheLimit()
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => Record(new string('k', 300)).Get());

        Assert.Contains($"at most {GrainKeys.MaxLength} UTF-16 characters", error.ToString());
    }
}
