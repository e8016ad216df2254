using Roundabout.Client.Library;

namespace Roundabout.Client.Commands;

/// <summary>A connected <see cref="RoundaboutClient"/> and whatever hosts it.</summary>
internal sealed class Connection(RoundaboutClient client, IAsyncDisposable owner) : IAsyncDisposable
{
    public RoundaboutClient Client { get; } = client;

    public async ValueTask DisposeAsync()
    {
        try
        {
            await owner.DisposeAsync();
        }
        catch (Exception)
        {
            // Shutting down a client whose cluster went away is not the user's problem.
        }
    }
}
