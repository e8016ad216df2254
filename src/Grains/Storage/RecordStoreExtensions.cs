namespace Roundabout.Storage;

public static class RecordStoreExtensions
{
    /// <summary>Writes one record and returns its new ETag.</summary>
    public static async Task<string?> WriteAsync(this IRecordStore store, RecordWrite write, CancellationToken cancellationToken = default)
    {
        var etags = await store.WriteAsync([write], cancellationToken);
        return etags[0];
    }
}
