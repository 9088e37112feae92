using System.CommandLine;
using Hds.Storage.Models;
using Hds.Storage.Cli.Output;

namespace Hds.Storage.Cli.Commands;

/// <summary><c>hds ls [prefix]</c> and <c>hds versions &lt;key&gt;</c>.</summary>
internal static class ListCommands
{
    public static Command CreateList()
    {
        var prefix = new Argument<string?>("prefix") { Description = "Only keys starting with this prefix.", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("ls", "List the tenant's objects (latest versions), every page, printed as they are read (as JSON: one array).")
        {
            prefix,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var cli = CliContext.From(parse);
            var context = cli.RequireAccess();
            var client = cli.CreateClient();
            await using (client.ConfigureAwait(false))
            {
                // Printed page by page as the store lists them: memory does not grow with the number of objects.
                await CliOutput.WriteListingAsync(
                    parse, client.ListAsync(parse.GetValue(prefix), new HdsListOptions { Context = context }, cancellationToken), CliReports.Objects, cancellationToken)
                    .ConfigureAwait(false);
            }

            return ExitCodes.Success;
        });
        return command;
    }

    public static Command CreateVersions()
    {
        var key = new Argument<string>("key") { Description = "The object key." };
        var command = new Command("versions", "List every version and delete marker of a key, newest first.")
        {
            key,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var cli = CliContext.From(parse);
            var options = cli.RequestOptions<HdsRequestOptions>();
            var client = cli.CreateClient();
            await using (client.ConfigureAwait(false))
            {
                IReadOnlyList<HdsObjectVersionItem> versions = await client.GetVersionsAsync(parse.GetRequiredValue(key), options, cancellationToken)
                    .ToListAsync(cancellationToken).ConfigureAwait(false);
                await cli.WriteAsync(versions, CliReports.Versions, cancellationToken).ConfigureAwait(false);
            }

            return ExitCodes.Success;
        });
        return command;
    }
}
