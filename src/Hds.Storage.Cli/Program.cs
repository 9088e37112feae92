using Hds.Storage.Cli;

return await HdsCli.RunAsync(args).ConfigureAwait(false);
