using System.CommandLine;
using System.Globalization;
using Hds.Storage.Audit;
using Hds.Storage.Cli.Audit;
using Hds.Storage.Cli.Output;
using Hds.Storage.Models;

namespace Hds.Storage.Cli.Commands;

/// <summary><c>hds audit verify|tail|search|report|export|query</c>: the hash-chained audit trail. The purpose of use must be "audit" and the actor must hold the role "auditor" (by default).</summary>
internal static partial class AuditCommands
{
    public static Command Create() => new("audit", "Verify, read, search, report on and export the audit trail (needs --purpose audit and --role auditor).")
    {
        CreateVerify(),
        CreateTail(),
        CreateSearch(),
        CreateReport(),
        CreateExport(),
        CreateQuery(),
    };

    // The end of search, report and export. Segments stored within the checkpoint grace period and not yet signed are no problem (their
    // writer may sign them any moment) but are said on standard error, because records appended to a chain by a holder of the bucket's
    // credentials look the same until then; then the problems and the exit code.
    private static async Task<int> ReportSearchAsync(HdsAuditSearch search)
    {
        foreach (var s in search.Segments.Where(s => s.AwaitingCheckpoint))
        {
            await CliContext.Error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"note: AwaitingCheckpoint node={s.Node} seq={s.First}-{s.Last}: verified by their chain, not yet by a signed checkpoint (stored within the grace period); search again later to have them vouched for.")).ConfigureAwait(false);
        }

        return await ReportProblemsAsync(search.Problems).ConfigureAwait(false);
    }

    // Verification problems: listed on standard error, exit 4.
    private static async Task<int> ReportProblemsAsync(IReadOnlyList<HdsAuditProblem> problems)
    {
        if (problems.Count == 0)
        {
            return ExitCodes.Success;
        }

        foreach (var p in problems)
        {
            await CliContext.Error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"problem: {p.Kind} node={p.Node} seq={p.Sequence} {p.Description}")).ConfigureAwait(false);
        }

        await HdsCli.WriteErrorAsync(CliContext.Error, HdsErrorCode.Integrity,
            $"The audit trail is not intact: {problems.Count} problem(s) found; records of segments that failed verification were left out. Keep this output and investigate.")
            .ConfigureAwait(false);
        return ExitCodes.Integrity;
    }

    private static Command CreateVerify()
    {
        var from = new Option<string?>("--from") { Description = "Verify the segments holding records from this time on (ISO-8601; UTC without an offset).", HelpName = "ISO-8601" };
        var to = new Option<string?>("--to") { Description = "Verify the segments holding records up to this time (ISO-8601; UTC without an offset).", HelpName = "ISO-8601" };
        var command = new Command("verify",
            "Verify the stored audit trail: detects removed, altered, inserted or reordered records and invalid checkpoints. Prints the report; exit 4 when the trail is not intact.")
        {
            from,
            to,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var cli = CliContext.From(parse);
            var options = cli.RequestOptions<HdsAuditVerifyOptions>();
            options.From = ParseTime(parse.GetValue(from), "--from");
            options.To = ParseTime(parse.GetValue(to), "--to");
            var client = cli.CreateClient();
            await using (client.ConfigureAwait(false))
            {
                var result = await client.VerifyAuditLogAsync(options, cancellationToken).ConfigureAwait(false);
                await cli.WriteAsync(AuditReport.From(result), CliReports.Audit, cancellationToken).ConfigureAwait(false);
                if (result.IsValid)
                {
                    return ExitCodes.Success;
                }

                await HdsCli.WriteErrorAsync(CliContext.Error, HdsErrorCode.Integrity,
                    $"The audit trail is not intact: {result.Problems.Count} problem(s) found. Keep the report and investigate before anything is changed.").ConfigureAwait(false);
                return ExitCodes.Integrity;
            }
        });
        return command;
    }

    private static Command CreateTail()
    {
        var count = new Option<int>("--n") { Description = "How many records (1 to 10000).", DefaultValueFactory = _ => 20, HelpName = "count" };
        var command = new Command("tail", "Print the tenant's most recent audit records, oldest first, one per line (as JSON: JSON Lines).")
        {
            count,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var cli = CliContext.From(parse);
            var options = cli.RequestOptions<HdsRequestOptions>();
            var client = cli.CreateClient();
            await using (client.ConfigureAwait(false))
            {
                var records = await client.GetRecentAuditRecordsAsync(parse.GetValue(count), options, cancellationToken).ConfigureAwait(false);
                foreach (var record in records)
                {
                    await cli.WriteAsync(record, CliReports.AuditRecord, cancellationToken).ConfigureAwait(false);
                }
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static DateTimeOffset? ParseTime(string? value, string option) => AuditTimes.Parse(value, option, endOfDay: false);
}

/// <summary>What <c>hds audit verify</c> prints.</summary>
internal sealed record AuditReport(bool Valid, IReadOnlyList<string> Nodes, long RecordsVerified, int SegmentsVerified, int CheckpointsVerified, IReadOnlyList<HdsAuditProblem> Problems)
{
    public static AuditReport From(HdsAuditVerificationResult result) =>
        new(result.IsValid, result.Nodes, result.RecordsVerified, result.SegmentsVerified, result.CheckpointsVerified, result.Problems);
}
