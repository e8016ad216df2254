using Roundabout.Hosting;

namespace Roundabout.Tests.Unit;

public sealed class DetachedTaskTests
{
    private static readonly AsyncLocal<string?> CallersValue = new();

    [Fact]
    public async Task Run_DoesNotCarryTheCallersAsyncLocals()
    {
        CallersValue.Value = "caller";
        string? seen = "not run";

        await DetachedTask.Run(() =>
        {
            seen = CallersValue.Value;
            return Task.CompletedTask;
        });

        Assert.Null(seen);
        Assert.Equal("caller", CallersValue.Value);
    }

    [Fact]
    public async Task Run_FromAFlowThatIsAlreadySuppressed_StillRunsTheLoop()
    {
        Task loop;
        using (ExecutionContext.SuppressFlow())
        {
            // ExecutionContext.SuppressFlow would throw here a second time.
            loop = DetachedTask.Run(() => Task.CompletedTask);
        }

        await loop;
        Assert.True(loop.IsCompletedSuccessfully);
    }
}
