using Roundabout.Client.Embedded;
using Roundabout.Records;
using Roundabout.Tests.Storage;

namespace Roundabout.Tests.Client;

/// <summary>
/// A value read from a record belongs to the reader: changing the array changes nothing in the
/// record. In the process that hosts the silo Orleans passes [Immutable] results without a copy,
/// and the record used to hand out its committed version's own array: a change to it showed in
/// every later read (even one made inside a transaction that aborted) while the log kept the old bytes.
/// </summary>
public sealed class RecordValueOwnershipTests
{
    [Fact]
    public async Task ValueReadInTheSilosProcess_ChangedByTheReader_TheRecordKeepsItsValue()
    {
        using var directory = new TempDataDirectory();
        await using var silo = await EmbeddedSilo.StartAsync(directory.Path);
        var client = silo.Roundabout;
        await client.PutAsync("doc", "original"u8.ToArray());

        (await client.GetAsync("doc")).Value![0] = (byte)'X';
        Assert.Equal("original"u8.ToArray(), (await client.GetAsync("doc")).Value);

        // Inside a transaction that then aborts, through the grain itself.
        var record = silo.Client.GetGrain<IRecordGrain>("doc");
        await Assert.ThrowsAsync<InvalidOperationException>(() => client.Runner.RunAsync(async () =>
        {
            (await record.Get()).Value![0] = (byte)'Z';
            throw new InvalidOperationException("abort");
        }));
        Assert.Equal("original"u8.ToArray(), (await record.Get()).Value);

        // And as a one-round part's result.
        var parts = await silo.Transactions.RunOneRoundAsync(round => [record.GetInRound(round)]);
        ((VersionedValue)parts[0].Result!).Value![0] = (byte)'Y';
        Assert.Equal("original"u8.ToArray(), (await client.GetAsync("doc")).Value);
    }
}
