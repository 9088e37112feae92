using System.CommandLine;
using System.Globalization;
using Hds.Storage.Cli.Output;

namespace Hds.Storage.Cli.Commands;

/// <summary><c>hds legal-hold &lt;key&gt; on|off</c> and <c>hds retention extend &lt;key&gt; --until &lt;date&gt;</c>.</summary>
internal static class LockCommands
{
    public static Command CreateLegalHold()
    {
        var key = new Argument<string>("key") { Description = "The object key." };
        var state = new Argument<string>("state") { Description = "on or off." };
        state.AcceptOnlyFromAmong("on", "off");
        var version = new Option<string?>("--version") { Description = "The version id; the latest when omitted.", HelpName = "id" };
        var command = new Command("legal-hold", "Turn a version's legal hold on or off; prints its properties as read back.")
        {
            key,
            state,
            version,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var cli = CliContext.From(parse);
            var options = cli.RequestOptions<HdsVersionOptions>();
            options.VersionId = parse.GetValue(version);
            var enabled = parse.GetRequiredValue(state) == "on";
            var client = cli.CreateClient();
            await using (client.ConfigureAwait(false))
            {
                var properties = await client.SetLegalHoldAsync(parse.GetRequiredValue(key), enabled, options, cancellationToken)
                    .ConfigureAwait(false);
                await cli.WriteAsync(properties, CliReports.Properties, cancellationToken).ConfigureAwait(false);
            }

            return ExitCodes.Success;
        });
        return command;
    }

    public static Command CreateRetention()
    {
        var key = new Argument<string>("key") { Description = "The object key." };
        var until = new Option<string>("--until")
        {
            Description = "The new retain-until date, ISO-8601 (for example 2050-01-31T00:00:00Z; UTC when no offset is given). Must extend the retention.",
            HelpName = "date",
            Required = true,
        };
        var version = new Option<string?>("--version") { Description = "The version id; the latest when omitted.", HelpName = "id" };
        var extend = new Command("extend", "Extend a version's retention; shortening is refused (exit 6). Prints its properties as read back.")
        {
            key,
            until,
            version,
        };
        extend.SetAction(async (parse, cancellationToken) =>
        {
            var cli = CliContext.From(parse);
            var options = cli.RequestOptions<HdsVersionOptions>();
            options.VersionId = parse.GetValue(version);
            var date = ParseDate(parse.GetRequiredValue(until));
            var client = cli.CreateClient();
            await using (client.ConfigureAwait(false))
            {
                var properties = await client.ExtendRetentionAsync(parse.GetRequiredValue(key), date, options, cancellationToken)
                    .ConfigureAwait(false);
                await cli.WriteAsync(properties, CliReports.Properties, cancellationToken).ConfigureAwait(false);
            }

            return ExitCodes.Success;
        });
        return new Command("retention", "Manage a version's retention.") { extend };
    }

    private static DateTimeOffset ParseDate(string value)
    {
        string[] formats = ["yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK", "yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mmK", "yyyy-MM-dd"];
        if (DateTimeOffset.TryParseExact(value, formats, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var date))
        {
            return date;
        }

        throw new CliUsageException($"--until must be an ISO-8601 date, for example 2050-01-31T00:00:00Z; got '{value}'.");
    }
}
