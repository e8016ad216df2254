using System.CommandLine;
using Roundabout.Client.Commands;

var root = new RootCommand("Roundabout: MVCC transactions for Orleans")
{
    DemoCommand.Create(),
    BenchCommand.Create(),
};

return await root.Parse(args).InvokeAsync();
