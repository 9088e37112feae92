using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hds.Storage.Audit;
using Hds.Storage.Audit.Search;
using Hds.Storage.Cli.Audit;
using Hds.Storage.Cli.Output;
using Spectre.Console;

namespace Hds.Storage.Cli.Commands;

/// <summary><c>hds audit verify|tail|search|report|export|query</c>: the hash-chained audit trail. The purpose of use must be "audit" and the actor must hold the role "auditor" (by default).</summary>
internal static class AuditCommands
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
                return await ReportProblemsAsync(search.Problems).ConfigureAwait(false);
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

                return await ReportProblemsAsync(search.Problems).ConfigureAwait(false);
            }
        });
        return command;
    }

    private static Command CreateExport()
    {
        var filters = new AuditSearchOptions();
        var output = new Option<string>("--out") { Description = "The export directory (created; a previous export there is continued: only new records are written).", HelpName = "dir", Required = true };
        var command = new Command("export",
            "Export the verified records of every tenant (within --from/--to) as Parquet, partitioned tenant=…/day=…, with manifest.json (record counts, "
            + "file, segment and checkpoint hashes). Incremental and resumable: run it again to add what is new. Query it with hds audit query, "
            + "DuckDB, Spark or Trino (docs/operations.md). Exit 4 when the trail is not intact (the manifest records the problems).")
        {
            output,
        };
        filters.AddTo(command, filters: false);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var cli = CliContext.From(parse);
            var query = filters.Query(cli, parse, filters: false);
            var started = TimeProvider.System.GetUtcNow();
            var directory = parse.GetValue(output)!;
            if (directory.Contains("://", StringComparison.Ordinal))
            {
                throw new CliUsageException(
                    "--out must be a local directory: export there, then copy it to the analytics bucket (for example aws s3 sync DIR s3://bucket/prefix/); see docs/operations.md.");
            }

            var exporter = new AuditParquetExporter(directory);
            var client = cli.CreateClient();
            await using (client.ConfigureAwait(false))
            {
                var search = await client.SearchAuditAsync(query, cancellationToken).ConfigureAwait(false);
                exporter.Begin(started);
                await foreach (var record in search.WithCancellation(cancellationToken).ConfigureAwait(false))
                {
                    await exporter.AddAsync(record, cancellationToken).ConfigureAwait(false);
                }

                await exporter.CommitAsync(search, started, cancellationToken).ConfigureAwait(false);
                var summary = new JsonObject
                {
                    ["valid"] = search.IsValid,
                    ["recordsWritten"] = exporter.RecordsWritten,
                    ["recordsAlreadyExported"] = exporter.RecordsAlreadyExported,
                    ["files"] = exporter.Files.Count,
                    ["segmentsRead"] = search.SegmentsRead,
                    ["bytesRead"] = search.BytesRead,
                    ["problems"] = search.Problems.Count,
                };
                await CliContext.Output.WriteLineAsync(summary.ToJsonString().AsMemory(), cancellationToken).ConfigureAwait(false);
                await CliContext.Output.FlushAsync(cancellationToken).ConfigureAwait(false);
                return await ReportProblemsAsync(search.Problems).ConfigureAwait(false);
            }
        });
        return command;
    }

    private static Command CreateQuery()
    {
        var sql = new Argument<string>("sql") { Description = "The SQL; the view \"audit\" holds the exported records (columns of docs/operations.md, plus tenant and day)." };
        var export = new Option<string>("--export") { Description = "The export directory (hds audit export --out).", HelpName = "dir", Required = true };
        var command = new Command("query",
            "Run SQL with DuckDB, in process, over an audit export (no store is reached). The export's files are first checked against its manifest: "
            + "a missing, altered or unlisted file, or a run made from a trail that was not intact, is exit 4. Rows print as JSON Lines or a table.")
        {
            sql,
            export,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var directory = parse.GetValue(export)!;
            var manifest = AuditParquetExporter.ReadManifest(directory)
                ?? throw new CliUsageException($"No {ExportManifest.FileName} in {directory}: give the directory of an hds audit export.");
            var problems = AuditParquetExporter.VerifyFiles(directory, manifest);
            if (problems.Any(p => !p.StartsWith("run ", StringComparison.Ordinal)))
            {
                // Files missing, altered or unlisted: nothing read from them can be trusted, so the query does not run.
                return await ExportProblemsAsync(problems, cancellationToken).ConfigureAwait(false);
            }

            var (columns, rows) = await AuditDuckDbQuery.RunAsync(directory, parse.GetValue(sql)!, cancellationToken).ConfigureAwait(false);
            if (CliOutput.FormatOf(parse) == OutputFormat.Json)
            {
                foreach (var row in rows)
                {
                    var o = new JsonObject();
                    for (var i = 0; i < columns.Count; i++)
                    {
                        o[columns[i]] = ToJson(row[i]);
                    }

                    await CliContext.Output.WriteLineAsync(o.ToJsonString().AsMemory(), cancellationToken).ConfigureAwait(false);
                }
            }
            else
            {
                var table = new Table().AddColumns(columns.Select(c => new TableColumn(Markup.Escape(c))).ToArray());
                foreach (var row in rows)
                {
                    table.AddRow(row.Select(v => Markup.Escape(v is DateTime t ? t.ToString("yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture) : Convert.ToString(v, CultureInfo.InvariantCulture) ?? string.Empty)).ToArray());
                }

                await cli(parse).WriteAsync(table, QueryTable, cancellationToken).ConfigureAwait(false);
            }

            await CliContext.Output.FlushAsync(cancellationToken).ConfigureAwait(false);
            return problems.Count == 0 ? ExitCodes.Success : await ExportProblemsAsync(problems, cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    private static async Task<int> ExportProblemsAsync(List<string> problems, CancellationToken cancellationToken)
    {
        foreach (var problem in problems)
        {
            await CliContext.Error.WriteLineAsync(("problem: " + problem).AsMemory(), cancellationToken).ConfigureAwait(false);
        }

        await HdsCli.WriteErrorAsync(CliContext.Error, HdsErrorCode.Integrity,
            $"The export does not verify against its manifest: {problems.Count} problem(s). Export again from the trail before relying on these results.").ConfigureAwait(false);
        return ExitCodes.Integrity;
    }

    private static readonly CliReport<Table> QueryTable = new(_ => string.Empty, t => t);

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

    private static CliContext cli(ParseResult parse) => CliContext.From(parse);

    private static JsonValue? ToJson(object? value) => value switch
    {
        null => null,
        string s => JsonValue.Create(s),
        bool b => JsonValue.Create(b),
        long l => JsonValue.Create(l),
        int i => JsonValue.Create(i),
        double d => JsonValue.Create(d),
        decimal m => JsonValue.Create(m),
        System.Numerics.BigInteger big => JsonValue.Create(big.ToString(CultureInfo.InvariantCulture)),
        DateTime t => JsonValue.Create(DateTime.SpecifyKind(t, DateTimeKind.Utc).ToString("O", CultureInfo.InvariantCulture)),
        DateTimeOffset t => JsonValue.Create(t.ToString("O", CultureInfo.InvariantCulture)),
        DateOnly d => JsonValue.Create(d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)),
        IConvertible c => JsonValue.Create(Convert.ToDouble(c, CultureInfo.InvariantCulture)),
        _ => JsonValue.Create(Convert.ToString(value, CultureInfo.InvariantCulture)),
    };

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
