using Roundabout.Client;

return await RoundaboutCli.RunAsync(args);
