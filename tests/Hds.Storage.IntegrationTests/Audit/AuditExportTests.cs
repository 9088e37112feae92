using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Hds.Storage.IntegrationTests.Cli;
using Hds.Storage.IntegrationTests.Infrastructure;

namespace Hds.Storage.IntegrationTests.Audit;

/// <summary>
/// Issue 17: <c>hds audit export</c> on the embedded store is resumable (a file left by a run that did not finish is removed and its
/// records written again, never twice), <c>hds audit query</c> refuses an export holding a file its manifest does not name, and the
/// manifest names every file, segment and checkpoint with the hash of what is stored (an export can itself be verified); a directory
/// holding Parquet files that are no export's is refused, never cleaned.
/// </summary>
public sealed class AuditExportTests : IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("hds-audit-export-").FullName;

    private string Store => Path.Combine(_work, "store");

    private string Export => Path.Combine(_work, "export");

    public void Dispose() => TempDirectories.Delete(_work);

    [Fact]
    public async Task A_file_left_by_an_unfinished_export_is_refused_by_query_then_replaced_by_the_next_run_without_duplicates()
    {
        AssertExit(0, await Run("bucket", "create", "--local", Store, "--actor", "op-1", "--tenant", "msa", "--purpose", "audit"));
        var input = Path.Combine(_work, "doc.txt");
        await File.WriteAllTextAsync(input, "document", TestContext.Current.CancellationToken);
        for (var i = 0; i < 3; i++)
        {
            AssertExit(0, await Run("put", input, $"docs/{i}", "--class", "short", "--local", Store, "--actor", "doc-7", "--tenant", "msa", "--purpose", "care", "--patient", "msa:p-31415926"));
        }

        AssertExit(0, await Auditor("audit", "export", "--out", Export));
        var before = await Count();

        // A run killed after writing a file and before its manifest: the file is there, the manifest does not name it. A note the
        // operator keeps next to the export is not the run's.
        var written = Directory.EnumerateFiles(Export, "*.parquet", SearchOption.AllDirectories).First();
        File.Copy(written, Path.Combine(Path.GetDirectoryName(written)!, "part-99999999T999999999-00000.parquet"));
        File.Copy(written, Path.Combine(Path.GetDirectoryName(written)!, "part-99999999T999999999-00001.parquet.tmp"));
        var note = Path.Combine(Export, "README.parquet.txt");
        await File.WriteAllTextAsync(note, "exported daily by cron", TestContext.Current.CancellationToken);
        var refused = await Run("audit", "query", "select count(*) as n from audit", "--export", Export);
        AssertExit(4, refused);
        Assert.Contains("not named by the manifest", refused.Stderr, StringComparison.Ordinal);

        AssertExit(0, await Auditor("audit", "export", "--out", Export));

        Assert.Equal(before + NewRecordsSinceFirstExport, await Count()); // the stray file is gone; nothing counted twice
        Assert.Empty(Directory.EnumerateFiles(Export, "*.parquet.tmp", SearchOption.AllDirectories));
        Assert.True(File.Exists(note));
        var seqs = await Run("audit", "query", "select node, seq, count(*) as n from audit group by all having count(*) > 1", "--export", Export);
        AssertExit(0, seqs);
        Assert.Empty(seqs.StdoutText.Trim());
        AssertExit(1, await Auditor("audit", "export", "--out", "s3://analytics/msa/")); // an S3 location needs an S3 endpoint, not --local
    }

    [Fact]
    public async Task A_directory_holding_parquet_files_but_no_manifest_is_refused_and_left_untouched()
    {
        // Someone's own analytics data: an export pointed there by mistake must not take its Parquet files for strays of a cut run.
        AssertExit(0, await Run("bucket", "create", "--local", Store, "--actor", "op-1", "--tenant", "msa", "--purpose", "audit"));
        var theirs = Path.Combine(Export, "sales", "2026.parquet");
        Directory.CreateDirectory(Path.GetDirectoryName(theirs)!);
        await File.WriteAllTextAsync(theirs, "someone else's data", TestContext.Current.CancellationToken);

        var refused = await Auditor("audit", "export", "--out", Export);

        AssertExit(1, refused);
        Assert.Contains("no manifest.json", refused.Stderr, StringComparison.Ordinal);
        Assert.Equal("someone else's data", await File.ReadAllTextAsync(theirs, TestContext.Current.CancellationToken));
        Assert.False(File.Exists(Path.Combine(Export, "manifest.json")));
    }

    [Fact]
    public async Task The_manifest_names_every_file_segment_and_checkpoint_with_the_hash_of_what_is_stored()
    {
        AssertExit(0, await Run("bucket", "create", "--local", Store, "--actor", "op-1", "--tenant", "msa", "--purpose", "audit"));
        var input = Path.Combine(_work, "doc.txt");
        await File.WriteAllTextAsync(input, "document", TestContext.Current.CancellationToken);
        AssertExit(0, await Run("put", input, "docs/1", "--class", "short", "--local", Store, "--actor", "doc-7", "--tenant", "msa", "--purpose", "care", "--patient", "msa:p-31415926"));
        AssertExit(0, await Run("put", input, "docs/2", "--class", "short", "--local", Store, "--actor", "res-2", "--tenant", "ght", "--purpose", "research"));

        var exported = await Auditor("audit", "export", "--out", Export);
        AssertExit(0, exported);

        using var manifest = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(Export, "manifest.json"), TestContext.Current.CancellationToken));
        var run = Assert.Single(manifest.RootElement.GetProperty("runs").EnumerateArray());
        Assert.True(run.GetProperty("valid").GetBoolean());

        // Files: one per tenant and day, each with its record count and the SHA-256 of its bytes; the counts add up to what DuckDB reads.
        var files = run.GetProperty("files").EnumerateArray().ToList();
        Assert.Contains(files, f => f.GetProperty("path").GetString()!.StartsWith("tenant=ght/day=", StringComparison.Ordinal));
        Assert.Contains(files, f => f.GetProperty("path").GetString()!.StartsWith("tenant=msa/day=", StringComparison.Ordinal));
        foreach (var file in files)
        {
            Assert.Equal(Sha256(Path.Combine(Export, file.GetProperty("path").GetString()!)), file.GetProperty("sha256").GetString());
        }

        var records = files.Sum(f => f.GetProperty("records").GetInt64());
        Assert.Equal(run.GetProperty("recordsWritten").GetInt64(), records);
        Assert.Equal(records, await Count());

        // Segments and checkpoints read: each named with the SHA-256 of the object the store holds, so the export traces back to the trail.
        var segments = run.GetProperty("segments").EnumerateArray().ToList();
        var checkpoints = run.GetProperty("checkpoints").EnumerateArray().ToList();
        Assert.NotEmpty(segments);
        Assert.NotEmpty(checkpoints);
        Assert.All(segments, s => Assert.True(s.GetProperty("verified").GetBoolean()));
        Assert.All(checkpoints, c => Assert.True(c.GetProperty("valid").GetBoolean()));
        foreach (var stored in segments.Concat(checkpoints))
        {
            Assert.Equal(Sha256(StoredFile(stored.GetProperty("key").GetString()!)), stored.GetProperty("sha256").GetString());
        }

        Assert.Equal(records, segments.Sum(s => s.GetProperty("last").GetInt64() - s.GetProperty("first").GetInt64() + 1));
    }

    [Fact]
    public async Task The_documented_duckdb_query_runs_over_an_export()
    {
        // docs/operations.md's worked DuckDB query, as written there, over a local copy instead of S3 (the httpfs lines dropped).
        const string Patient = "msa:p-20391847"; // the documentation's example pseudonym
        AssertExit(0, await Run("bucket", "create", "--local", Store, "--actor", "op-1", "--tenant", "msa", "--purpose", "audit"));
        var input = Path.Combine(_work, "doc.txt");
        await File.WriteAllTextAsync(input, "document", TestContext.Current.CancellationToken);
        foreach (var actor in new[] { "doc-7", "doc-7", "doc-8" })
        {
            AssertExit(0, await Run("put", input, "docs/" + actor, "--class", "short", "--local", Store, "--actor", actor, "--tenant", "msa", "--purpose", "care", "--patient", Patient));
        }

        AssertExit(0, await Auditor("audit", "export", "--out", Export));
        var docs = await File.ReadAllTextAsync(Path.Combine(CliRunner.RepositoryRoot(), "docs", "operations.md"), TestContext.Current.CancellationToken);
        var block = docs[docs.IndexOf("```sql\nINSTALL httpfs", StringComparison.Ordinal)..];
        block = block[(block.IndexOf('\n', StringComparison.Ordinal) + 1)..block.IndexOf("\n```", StringComparison.Ordinal)];
        var sql = string.Join('\n', block.Split('\n').Where(l => !l.StartsWith("INSTALL", StringComparison.Ordinal) && !l.StartsWith("SET", StringComparison.Ordinal)))
            .Replace("s3://hds-audit-analytics/msa/", Export.Replace('\\', '/') + "/", StringComparison.Ordinal);
        var year = DateTimeOffset.UtcNow.Year.ToString(CultureInfo.InvariantCulture);
        sql = sql.Replace("2026-01-01", year + "-01-01", StringComparison.Ordinal).Replace("2026-12-31", year + "-12-31", StringComparison.Ordinal);

        var result = await Run("audit", "query", sql, "--export", Export);

        AssertExit(0, result);
        var rows = result.StdoutText.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal([("doc-7", 2L), ("doc-8", 1L)], rows.Select(r => (r.GetProperty("actor_id").GetString(), r.GetProperty("accesses").GetInt64())));
    }

    [Fact]
    public async Task An_export_that_holds_no_record_yet_answers_queries_with_no_rows()
    {
        // A scheduled export whose window has no record yet (or a first run still under way): the export is valid and empty, and a
        // query over it answers like one over an empty table, with the export's columns, instead of failing on "no file".
        AssertExit(0, await Run("bucket", "create", "--local", Store, "--actor", "op-1", "--tenant", "msa", "--purpose", "audit"));
        var tomorrow = DateTimeOffset.UtcNow.AddDays(1).ToString("O", CultureInfo.InvariantCulture);
        var exported = await Auditor("audit", "export", "--from", tomorrow, "--out", Export);
        AssertExit(0, exported);
        Assert.Equal(0, exported.Json().GetProperty("recordsWritten").GetInt64());

        var count = await Run("audit", "query", "select count(*) as n, count(distinct tenant) as tenants, max(day) as last_day from audit where patient = 'msa:p-20391847'", "--export", Export);

        AssertExit(0, count);
        Assert.Equal(0, count.Json().GetProperty("n").GetInt64());
        Assert.Empty(Directory.EnumerateFiles(Export, "*.parquet", SearchOption.AllDirectories)); // nothing planted in the export
    }

    // The embedded store's layout: objects/{sha256(key)}/{versionId}.bin, one version for an audit object.
    private string StoredFile(string key) =>
        Assert.Single(Directory.GetFiles(Path.Combine(Store, "objects", Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))), "*.bin"));

    private static string Sha256(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));

    // The first export's own ReadAudit record (and the query's none: it reaches no store) is what the second run adds.
    private const int NewRecordsSinceFirstExport = 1;

    private async Task<long> Count()
    {
        var result = await Run("audit", "query", "select count(*) as n from audit", "--export", Export);
        AssertExit(0, result);
        return JsonDocument.Parse(result.StdoutText).RootElement.GetProperty("n").GetInt64();
    }

    private Task<CliResult> Auditor(params string[] args) =>
        Run([.. args, "--local", Store, "--actor", "dpo-1", "--tenant", "msa", "--purpose", "audit", "--role", "auditor"]);

    private Task<CliResult> Run(params string[] args) => CliRunner.RunAsync(args, workingDirectory: _work);

    private static void AssertExit(int expected, CliResult result) =>
        Assert.True(result.ExitCode == expected, string.Create(CultureInfo.InvariantCulture, $"expected exit {expected}, got {result}"));
}
