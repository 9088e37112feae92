using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Hds.Storage.Audit;
using Hds.Storage.Cli.Audit;
using Hds.Storage.Cli.Output;
using Spectre.Console;
using Hds.Storage.Models;

namespace Hds.Storage.Cli.Commands;

// hds audit search and report: the verified records matching a query, printed or made into a patient's access report.
internal static partial class AuditCommands
{
    private static Command CreateSearch()
    {
        var filters = new AuditSearchOptions();
        var command = new Command("search",
            "Search the audit trail, verifying what is read: records matching every filter given (--patient, --by-actor, --for-tenant, --for-purpose, --operation, "
            + "--outcome, --key, --key-prefix, --version-id, --from, --to), one per line as JSON (JSON Lines) or a table. Only records of segments that verify "
            + "are printed; problems go to standard error and make the exit code 4. Segments outside --from/--to are not read. The search is itself audited.");
        filters.AddTo(command, filters: true);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var cli = CliContext.From(parse);
            var query = filters.Query(cli, parse, filters: true);
            var client = cli.CreateClient();
            await using (client.ConfigureAwait(false))
            {
                var search = await client.SearchAuditAsync(query, cancellationToken).ConfigureAwait(false);
                var json = CliOutput.FormatOf(parse) == OutputFormat.Json;
                var table = new List<HdsAuditRecord>();
                await foreach (var record in search.WithCancellation(cancellationToken).ConfigureAwait(false))
                {
                    if (json)
                    {
                        await CliContext.Output.WriteLineAsync(JsonSerializer.Serialize(record, AuditRecordJson.Default.HdsAuditRecord).AsMemory(), cancellationToken).ConfigureAwait(false);
                    }
                    else
                    {
                        table.Add(record);
                    }
                }

                if (!json)
                {
                    await cli.WriteAsync(table, RecordTable, cancellationToken).ConfigureAwait(false);
                }

                await CliContext.Output.FlushAsync(cancellationToken).ConfigureAwait(false);
                await CliContext.Error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"{search.RecordsReturned} record(s) found; {search.RecordsScanned} verified in {search.SegmentsRead} segment(s) ({search.BytesRead} bytes), {search.SegmentsSkipped} segment(s) outside the time range not read.")
                    .AsMemory(), cancellationToken).ConfigureAwait(false);
                return await ReportSearchAsync(search).ConfigureAwait(false);
            }
        });
        return command;
    }

    private static Command CreateReport()
    {
        var filters = new AuditSearchOptions();
        var format = new Option<string>("--format") { Description = "html (one self-contained page) or json.", DefaultValueFactory = _ => "html", HelpName = "html|json" };
        format.AcceptOnlyFromAmong("html", "json");
        var output = new Option<string?>("--out") { Description = "The file to write (standard output when absent or -).", HelpName = "file" };
        var command = new Command("report",
            "The access report of one patient (--patient): who (actor, role), when, what (operation, document, version), why (purpose) and the outcome of "
            + "every access in the period, accesses per day and actor, and the verification statement (segments and signed checkpoints, their hashes, "
            + "every problem). Exit 4 when the trail is not intact (the report says so too).")
        {
            format,
            output,
        };
        filters.AddTo(command, filters: false);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var cli = CliContext.From(parse);
            var query = filters.Query(cli, parse, filters: false);
            if (query.Patient is null)
            {
                throw new CliUsageException("hds audit report needs --patient: the pseudonym of the patient whose accesses are reported.");
            }

            var client = cli.CreateClient();
            await using (client.ConfigureAwait(false))
            {
                var search = await client.SearchAuditAsync(query, cancellationToken).ConfigureAwait(false);
                var records = new List<HdsAuditRecord>();
                await foreach (var record in search.WithCancellation(cancellationToken).ConfigureAwait(false))
                {
                    records.Add(record);
                }

                var report = AccessReport.Create(search, records, query.Context!.ActorId, TimeProvider.System.GetUtcNow());
                var text = parse.GetValue(format) == "json" ? JsonSerializer.Serialize(report, AuditAnalyticsJson.Default.AccessReport) : AccessReportHtml.Render(report);
                var file = parse.GetValue(output);
                if (file is null or "-")
                {
                    await CliContext.Output.WriteAsync(text.AsMemory(), cancellationToken).ConfigureAwait(false);
                    await CliContext.Output.FlushAsync(cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await File.WriteAllTextAsync(file, text, cancellationToken).ConfigureAwait(false);
                }

                return await ReportSearchAsync(search).ConfigureAwait(false);
            }
        });
        return command;
    }

    private static readonly CliReport<List<HdsAuditRecord>> RecordTable = new(_ => string.Empty, records =>
    {
        var table = new Table().AddColumns("Time (UTC)", "Operation", "Outcome", "Actor", "Role", "Tenant", "Purpose", "Patient", "Key", "Version");
        foreach (var r in records)
        {
            table.AddRow(new[]
            {
                r.Time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture), r.Operation.ToString(), r.Outcome.ToString(), r.ActorId, r.Role,
                r.Tenant, r.Purpose, r.PatientPseudonym, r.Key, r.VersionId,
            }.Select(v => Markup.Escape(v ?? "-")).ToArray());
        }

        return table;
    });
}
