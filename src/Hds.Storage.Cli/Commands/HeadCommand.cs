using System.CommandLine;
using Hds.Storage.Cli.Output;

namespace Hds.Storage.Cli.Commands;

/// <summary><c>hds head &lt;key&gt;</c>: a version's properties, retention and legal hold included, without its content.</summary>
internal static class HeadCommand
{
    public static Command Create()
    {
        var key = new Argument<string>("key") { Description = "The object key." };
        var version = new Option<string?>("--version") { Description = "The version id; the latest when omitted.", HelpName = "id" };
        var command = new Command("head", "Print a version's properties without reading its content.")
        {
            key,
            version,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var cli = CliContext.From(parse);
            var options = cli.RequestOptions<HdsVersionOptions>();
            options.VersionId = parse.GetValue(version);
            var client = cli.CreateClient();
            await using (client.ConfigureAwait(false))
            {
                var properties = await client.GetPropertiesAsync(parse.GetRequiredValue(key), options, cancellationToken)
                    .ConfigureAwait(false);
                await cli.WriteAsync(properties, CliReports.Properties, cancellationToken).ConfigureAwait(false);
            }

            return ExitCodes.Success;
        });
        return command;
    }
}
