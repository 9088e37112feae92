using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Hds.Storage.Audit.Search;
using Hds.Storage.Cli.Audit;
using Hds.Storage.Cli.Output;
using Spectre.Console;

namespace Hds.Storage.Cli.Commands;

// hds audit export and query: the verified records written as Parquet (locally or to S3), and SQL run over such an export.
internal static partial class AuditCommands
{
    private static Command CreateExport()
    {
        var filters = new AuditSearchOptions();
        var output = new Option<string>("--out")
        {
            Description = "The export directory, or an S3 location s3://bucket/prefix/ on the configured endpoint (an ordinary bucket, not the health-data one). "
                + "A previous export there is continued: only new records are written.",
            HelpName = "dir|s3://bucket/prefix",
            Required = true,
        };
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
            // A copy outside the trail takes only records their writer has signed: newer ones wait for the next run (incremental).
            query.SignedOnly = true;
            var started = TimeProvider.System.GetUtcNow();
            var target = parse.GetValue(output)!;
            var remote = S3ExportLocation.IsS3(target) ? S3ExportLocation.Parse(target) : null;
            if (remote is null && target.Contains("://", StringComparison.Ordinal))
            {
                throw new CliUsageException("--out is a local directory or an S3 location s3://bucket/prefix/.");
            }

            if (remote is null)
            {
                return await ExportAsync(cli, query, started, target, null, cancellationToken).ConfigureAwait(false);
            }

            // An S3 export runs in a private staging directory, seeded with the manifest already there (incremental), and is published
            // file by file, manifest last.
            var staging = Directory.CreateTempSubdirectory("hds-export-").FullName;
            try
            {
                return await ExportAsync(cli, query, started, staging, remote, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                Directory.Delete(staging, recursive: true);
            }
        });
        return command;
    }

    private static async Task<int> ExportAsync(
        CliContext cli, HdsAuditQuery query, DateTimeOffset started, string directory, S3ExportLocation? remote, CancellationToken cancellationToken)
    {
        using var s3 = remote?.CreateClient(cli);
        if (remote is not null)
        {
            await remote.GuardAsync(() => remote.PrepareAsync(s3!, directory, cancellationToken)).ConfigureAwait(false);
        }

        // Begun before the search: a directory that is no export of ours is refused before the trail is read.
        var exporter = new AuditParquetExporter(directory);
        exporter.Begin(started);
        var client = cli.CreateClient();
        await using (client.ConfigureAwait(false))
        {
            var search = await client.SearchAuditAsync(query, cancellationToken).ConfigureAwait(false);
            await foreach (var record in search.WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                await exporter.AddAsync(record, cancellationToken).ConfigureAwait(false);
            }

            await exporter.CommitAsync(search, started, cancellationToken).ConfigureAwait(false);
            if (remote is not null)
            {
                await remote.GuardAsync(() => remote.PublishAsync(s3!, directory, exporter.Files, cancellationToken)).ConfigureAwait(false);
            }

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
            return await ReportSearchAsync(search).ConfigureAwait(false);
        }
    }

    private static Command CreateQuery()
    {
        var sql = new Argument<string>("sql") { Description = "The SQL; the view \"audit\" holds the exported records (columns of docs/operations.md, plus tenant and day)." };
        var export = new Option<string>("--export")
        {
            Description = "The export: a directory or s3://bucket/prefix/ (hds audit export --out); an S3 export is copied and checked before the query runs.",
            HelpName = "dir|s3://bucket/prefix",
            Required = true,
        };
        var command = new Command("query",
            "Run SQL with DuckDB, in process, over an audit export (no store is reached). The export's files are first checked against its manifest: "
            + "a missing, altered or unlisted file, or a run made from a trail that was not intact, is exit 4. Rows print as JSON Lines or a table.")
        {
            sql,
            export,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var location = parse.GetValue(export)!;
            if (!S3ExportLocation.IsS3(location))
            {
                return await QueryAsync(parse, location, cancellationToken).ConfigureAwait(false);
            }

            // An export under an S3 prefix is copied whole (unlisted files included) and checked against its manifest like a local one.
            var remote = S3ExportLocation.Parse(location);
            var staging = Directory.CreateTempSubdirectory("hds-query-").FullName;
            try
            {
                using var s3 = remote.CreateClient(CliContext.From(parse));
                if (!await remote.GuardAsync(() => remote.DownloadAsync(s3, staging, cancellationToken)).ConfigureAwait(false))
                {
                    throw new CliUsageException($"No {ExportManifest.FileName} under {location}: give the location of an hds audit export.");
                }

                return await QueryAsync(parse, staging, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                Directory.Delete(staging, recursive: true);
            }
        });
        return command;

        async Task<int> QueryAsync(ParseResult parse, string directory, CancellationToken cancellationToken)
        {
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
        }
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
}
