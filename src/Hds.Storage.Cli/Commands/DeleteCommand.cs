using System.CommandLine;
using Hds.Storage.Cli.Output;

namespace Hds.Storage.Cli.Commands;

/// <summary><c>hds delete &lt;key&gt;</c>: adds a delete marker; every version stays stored until its retention expires.</summary>
internal static class DeleteCommand
{
    public static Command Create()
    {
        var key = new Argument<string>("key") { Description = "The object key." };
        var command = new Command("delete", "Hide an object behind a delete marker; its versions stay stored, locked, until their retention expires.")
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
                var result = await client.DeleteAsync(parse.GetRequiredValue(key), options, cancellationToken).ConfigureAwait(false);
                await cli.WriteAsync(result, CliReports.Deleted, cancellationToken).ConfigureAwait(false);
            }

            return ExitCodes.Success;
        });
        return command;
    }
}
