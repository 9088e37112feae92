using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Amazon.S3.Model;
using DuckDB.NET.Data;
using Hds.Storage.IntegrationTests.Cli;

namespace Hds.Storage.IntegrationTests.Audit;

/// <summary>
/// Issue 17, end to end through the CLI against the Ceph RGW: several actors act on several patients' documents (with --patient), then
/// a DPO searches, reports on and exports the trail. Search returns exactly one patient's records, the HTML report shows them in a real
/// headless browser, an independent reader (DuckDB) finds the same records in the Parquet export written with Parquet.Net, and a
/// segment rewritten through the plain S3 API makes search, report and export say so (exit 4).
/// </summary>
public sealed class AuditSearchTests : IAsyncLifetime
{
    // A bucket per test, not per class: the first test rewrites a segment of its trail on purpose, which must not make the
    // others' trails "not intact" (they read the same time range).
    private readonly S3CliBackend _backend = new();
    private const string Tenant = "msa-test";
    private readonly string _work = Directory.CreateTempSubdirectory("hds-audit-search-").FullName;
    private readonly string _prefix = "as-" + Guid.NewGuid().ToString("N")[..10] + "/";
    private readonly string _p1 = "msa:p-" + RandomNumber();
    private readonly string _p2 = "msa:p-" + RandomNumber();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => _backend.InitializeAsync();

    public async ValueTask DisposeAsync()
    {
        await _backend.DisposeAsync();
        Directory.Delete(_work, recursive: true);
    }

    [Fact]
    public async Task Search_report_and_export_answer_who_accessed_one_patients_documents_and_a_rewritten_segment_is_exit_4()
    {
        var from = DateTimeOffset.UtcNow.AddMinutes(-1).ToString("O", CultureInfo.InvariantCulture);
        var docA = _prefix + "p1/doc-a";
        var docB = _prefix + "p1/doc-b";
        var docC = _prefix + "p2/doc-c";
        var putA = await Care("doc-7", _p1, "put", Input("a"), docA, "--class", "short");
        AssertExit(0, putA);
        var versionA = putA.Json().GetProperty("versionId").GetString()!;
        AssertExit(0, await Care("doc-7", _p1, "put", Input("b"), docB, "--class", "short"));
        AssertExit(0, await Care("doc-7", _p2, "put", Input("c"), docC, "--class", "short"));
        AssertExit(0, await Care("doc-8", _p1, "get", docA, "--out", Path.Combine(_work, "a.out")));
        AssertExit(0, await Care("nurse-3", _p2, "get", docC, "--out", Path.Combine(_work, "c.out")));
        AssertExit(0, await Care("doc-8", _p1, "verify", docB));

        // Search: exactly the patient's records (the auditor's own searches name the patient too: they are accesses to its trail).
        var search = await Auditor(_p1, "audit", "search", "--from", from);
        AssertExit(0, search);
        var found = Lines(search);
        Assert.All(found, r => Assert.Equal(_p1, r.GetProperty("patientPseudonym").GetString()));
        var documents = found.Where(r => r.GetProperty("operation").GetString() != "ReadAudit")
            .Select(r => $"{r.GetProperty("operation").GetString()} {r.GetProperty("actorId").GetString()} {r.GetProperty("key").GetString()}").Order(StringComparer.Ordinal).ToList();
        Assert.Equal(new[] { $"Get doc-8 {docA}", $"Put doc-7 {docA}", $"Put doc-7 {docB}", $"Verify doc-8 {docB}" }.Order(StringComparer.Ordinal), documents);
        Assert.Contains("0 segment(s) outside", search.Stderr, StringComparison.Ordinal); // the figures go to stderr, records to stdout

        // Other filters narrow it; a name instead of a pseudonym is refused.
        var byActor = Lines(await Auditor(_p1, "audit", "search", "--from", from, "--by-actor", "doc-8", "--operation", "Get"));
        Assert.Equal(docA, Assert.Single(byActor).GetProperty("key").GetString());
        Assert.Empty(Lines(await Auditor(_p1, "audit", "search", "--from", DateTimeOffset.UtcNow.AddDays(1).ToString("O", CultureInfo.InvariantCulture))));
        AssertExit(1, await Auditor("Jean Dupont", "audit", "search"));

        // The search itself is audited: the DPO's ReadAudit record names the patient looked up.
        Assert.Contains(Lines(await Auditor(_p1, "audit", "search", "--from", from, "--operation", "ReadAudit")),
            r => r.GetProperty("actorId").GetString() == "dpo-1" && r.GetProperty("role").GetString() == "auditor");

        // Report, opened in a real headless browser.
        var html = Path.Combine(_work, "report.html");
        AssertExit(0, await Auditor(_p1, "audit", "report", "--from", from, "--out", html));
        var dom = await BrowserAsync(html);
        Assert.Matches(@"Rendered: [1-9][0-9]* access\(es\), [1-9][0-9]* bar\(s\)", dom); // the page's own script ran
        Assert.Contains(docA, dom, StringComparison.Ordinal);
        Assert.Contains(docB, dom, StringComparison.Ordinal);
        Assert.DoesNotContain(docC, dom, StringComparison.Ordinal);
        Assert.Contains("doc-8", dom, StringComparison.Ordinal);
        Assert.Contains("verified: no problem found", dom, StringComparison.Ordinal);
        Assert.DoesNotContain("http://", File.ReadAllText(html).Replace("http://www.w3.org/2000/svg", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.DoesNotContain("https://", File.ReadAllText(html), StringComparison.Ordinal); // self-contained
        var json = JsonDocument.Parse(Stdout(await Auditor(_p1, "audit", "report", "--from", from, "--format", "json"))).RootElement;
        Assert.True(json.GetProperty("verification").GetProperty("valid").GetBoolean());
        Assert.NotEmpty(json.GetProperty("verification").GetProperty("checkpoints").EnumerateArray());

        // The page states who (actor and role) and what was verified: the segments and signed checkpoints it names carry their
        // SHA-256 (the JSON report, made later, read the same objects and maybe newer ones).
        Assert.Contains("operator", dom, StringComparison.Ordinal);
        Assert.Contains(versionA, dom, StringComparison.Ordinal); // what: the version read or written
        Assert.Contains("<td>care</td>", dom, StringComparison.Ordinal); // why
        Assert.Contains("<td>Succeeded</td>", dom, StringComparison.Ordinal); // outcome
        var verifiedObjects = json.GetProperty("verification").GetProperty("segments").EnumerateArray()
            .Concat(json.GetProperty("verification").GetProperty("checkpoints").EnumerateArray())
            .Select(o => (Key: o.GetProperty("key").GetString()!, Sha256: o.GetProperty("sha256").GetString()!))
            .Where(o => dom.Contains(o.Key, StringComparison.Ordinal)).ToList();
        Assert.Contains(verifiedObjects, o => o.Key.Contains("/segments/", StringComparison.Ordinal));
        Assert.Contains(verifiedObjects, o => o.Key.Contains("/checkpoints/", StringComparison.Ordinal));
        Assert.All(verifiedObjects, o => Assert.Contains(o.Sha256, dom, StringComparison.Ordinal));
        Assert.Contains(json.GetProperty("perDay").EnumerateArray(), d => d.GetProperty("actor").GetString() == "doc-8" && d.GetProperty("count").GetInt32() == 2);

        // Export, read back by DuckDB (not the writer's library): the same records of the patient.
        var export = Path.Combine(_work, "export");
        var exported = await Auditor(null, "audit", "export", "--from", from, "--out", export);
        AssertExit(0, exported);
        var searchedDocuments = found.Where(r => r.GetProperty("operation").GetString() != "ReadAudit")
            .Select(r => (r.GetProperty("node").GetString()!, r.GetProperty("sequence").GetInt64())).ToHashSet();
        Assert.True(searchedDocuments.SetEquals(await ParquetRecordsAsync(export, _p1)));
        var parquetDocuments = await ParquetDocumentsAsync(export, _p1);
        Assert.Equal(documents, parquetDocuments);
        var again = await Auditor(null, "audit", "export", "--from", from, "--out", export); // incremental: only what is new
        AssertExit(0, again);
        Assert.True(JsonDocument.Parse(again.StdoutText).RootElement.GetProperty("recordsAlreadyExported").GetInt64() > 0);
        Assert.Equal(parquetDocuments, await ParquetDocumentsAsync(export, _p1)); // nothing exported twice
        var query = await Raw("audit", "query", "select count(*) as n from audit where patient = '" + _p1 + "' and operation <> 'ReadAudit'", "--export", export);
        AssertExit(0, query);
        Assert.Equal(documents.Count, JsonDocument.Parse(query.StdoutText).RootElement.GetProperty("n").GetInt64());

        // The attacker holds S3 credentials: the segment holding doc-8's read is rewritten (a new version) with the read removed.
        var read = found.Single(r => r.GetProperty("operation").GetString() == "Get");
        await RewriteSegmentAsync(read.GetProperty("node").GetString()!, read.GetProperty("sequence").GetInt64());
        var tampered = await Auditor(_p1, "audit", "search", "--from", from);
        AssertExit(4, tampered);
        Assert.Contains("ObjectRewritten", tampered.Stderr, StringComparison.Ordinal);
        Assert.Contains(Lines(tampered), r => r.GetProperty("operation").GetString() == "Get" && r.GetProperty("key").GetString() == docA); // the original is read
        var tamperedReport = Path.Combine(_work, "tampered.html");
        AssertExit(4, await Auditor(_p1, "audit", "report", "--from", from, "--out", tamperedReport));
        Assert.Contains("NOT intact", await BrowserAsync(tamperedReport), StringComparison.Ordinal);
        AssertExit(4, await Auditor(null, "audit", "export", "--from", from, "--out", export));
        AssertExit(4, await Raw("audit", "query", "select count(*) from audit", "--export", export)); // the manifest records the failed run
    }

    [Fact]
    public async Task An_exported_file_altered_after_the_export_makes_audit_query_exit_4()
    {
        AssertExit(0, await Care("doc-7", _p1, "put", Input("x"), _prefix + "x", "--class", "short"));
        var export = Path.Combine(_work, "export");
        AssertExit(0, await Auditor(null, "audit", "export", "--from", DateTimeOffset.UtcNow.AddMinutes(-1).ToString("O", CultureInfo.InvariantCulture), "--out", export));
        AssertExit(0, await Raw("audit", "query", "select count(*) from audit", "--export", export));

        var file = Directory.EnumerateFiles(export, "*.parquet", SearchOption.AllDirectories).First();
        File.AppendAllText(file, " ");

        var query = await Raw("audit", "query", "select count(*) from audit", "--export", export);
        AssertExit(4, query);
        Assert.Contains("SHA-256 differs", query.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_export_to_an_s3_prefix_is_incremental_resumable_and_checked_before_a_query()
    {
        using var s3 = _backend.CreateRawClient();
        var bucket = "hds-export-" + Guid.NewGuid().ToString("N")[..12];
        await s3.PutBucketAsync(bucket, Ct);
        var location = $"s3://{bucket}/exports/";
        var from = DateTimeOffset.UtcNow.AddMinutes(-1).ToString("O", CultureInfo.InvariantCulture);
        AssertExit(0, await Care("doc-7", _p1, "put", Input("s"), _prefix + "s", "--class", "short"));

        var first = await Auditor(null, "audit", "export", "--from", from, "--out", location);
        AssertExit(0, first);
        var keys = await KeysAsync(s3, bucket);
        Assert.Contains("exports/manifest.json", keys);
        Assert.Contains(keys, k => k.StartsWith("exports/tenant=msa-test/day=", StringComparison.Ordinal) && k.EndsWith(".parquet", StringComparison.Ordinal));


        var puts = "select count(*) as n from audit where patient = '" + _p1 + "' and operation = 'Put'";
        var query = await Raw(["audit", "query", puts, "--export", location, .. _backend.BackendArgs]);
        AssertExit(0, query);
        Assert.Equal(1, JsonDocument.Parse(query.StdoutText).RootElement.GetProperty("n").GetInt64());

        // A file left under the prefix by a run cut before its manifest: removed by the next run, never read as records.
        const string Stray = "exports/tenant=msa-test/day=2026-01-01/part-unfinished-00000.parquet";
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = Stray, ContentBody = "partial" }, Ct);

        // Incremental: a second run adds only what is new (the first export's own audit record), nothing twice.
        var again = await Auditor(null, "audit", "export", "--from", from, "--out", location);
        AssertExit(0, again);
        Assert.True(JsonDocument.Parse(again.StdoutText).RootElement.GetProperty("recordsAlreadyExported").GetInt64() > 0);
        Assert.DoesNotContain(Stray, await KeysAsync(s3, bucket));
        var requery = await Raw(["audit", "query", puts, "--export", location, .. _backend.BackendArgs]);
        Assert.Equal(1, JsonDocument.Parse(requery.StdoutText).RootElement.GetProperty("n").GetInt64());

        // Someone with write access to the analytics bucket adds a file: the query refuses the export (exit 4), it does not run.
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "exports/tenant=msa-test/day=2026-01-02/part-x-00000.parquet", ContentBody = "planted" }, Ct);
        var planted = await Raw(["audit", "query", puts, "--export", location, .. _backend.BackendArgs]);
        AssertExit(4, planted);
        Assert.Contains("not named by the manifest", planted.Stderr, StringComparison.Ordinal);

        // Parquet files that are no export of ours (no manifest) are never deleted: the export is refused (exit 1).
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "theirs/data.parquet", ContentBody = "someone else's" }, Ct);
        AssertExit(1, await Auditor(null, "audit", "export", "--out", $"s3://{bucket}/theirs/"));
        Assert.Contains("theirs/data.parquet", await KeysAsync(s3, bucket));

        // Bad locations: a malformed one is a usage error, a missing bucket is "not found" naming it.
        AssertExit(1, await Auditor(null, "audit", "export", "--out", "s3://Not_A_Bucket/x"));
        var missing = await Auditor(null, "audit", "export", "--out", "s3://hds-no-such-" + Guid.NewGuid().ToString("N")[..8] + "/x");
        AssertExit(5, missing);
        Assert.Contains("does not exist", missing.Stderr, StringComparison.Ordinal);
    }

    private static async Task<List<string>> KeysAsync(Amazon.S3.AmazonS3Client s3, string bucket) =>
        [.. ((await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket }, Ct)).S3Objects ?? []).Select(o => o.Key)];

    private static string RandomNumber() => RandomNumberGenerator.GetInt32(10_000_000, 99_999_999).ToString(CultureInfo.InvariantCulture);

    private string Input(string text)
    {
        var path = Path.Combine(_work, text + ".txt");
        File.WriteAllText(path, "document " + text);
        return path;
    }

    private Task<CliResult> Care(string actor, string patient, params string[] args) =>
        Raw([.. args, "--actor", actor, "--tenant", Tenant, "--purpose", "care", "--role", "operator", "--patient", patient]);

    private Task<CliResult> Auditor(string? patient, params string[] args) =>
        Raw([.. args, "--actor", "dpo-1", "--tenant", Tenant, "--purpose", "audit", "--role", "auditor", .. patient is null ? Array.Empty<string>() : ["--patient", patient]]);

    private Task<CliResult> Raw(params string[] args) =>
        CliRunner.RunAsync([.. args, .. args[0] == "audit" && args[1] == "query" ? Array.Empty<string>() : _backend.BackendArgs], environment: _backend.Environment, workingDirectory: _work);

    private static void AssertExit(int expected, CliResult result) => Assert.True(result.ExitCode == expected, $"expected exit {expected}, got {result}");

    private static string Stdout(CliResult result) => result.StdoutText;

    private static List<JsonElement> Lines(CliResult result) =>
        result.StdoutText.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();

    private static async Task<HashSet<(string, long)>> ParquetRecordsAsync(string export, string patient)
    {
        var set = new HashSet<(string, long)>();
        foreach (var row in await DuckAsync(export, $"select node, seq from read_parquet('{Glob(export)}', hive_partitioning = true) where patient = '{patient}' and operation <> 'ReadAudit'"))
        {
            set.Add(((string)row[0]!, (long)row[1]!));
        }

        return set;
    }

    private static async Task<List<string>> ParquetDocumentsAsync(string export, string patient) =>
        (await DuckAsync(export, $"select operation, actor_id, object_key from read_parquet('{Glob(export)}', hive_partitioning = true) where patient = '{patient}' and operation <> 'ReadAudit'"))
            .Select(r => $"{r[0]} {r[1]} {r[2]}").Order(StringComparer.Ordinal).ToList();

    private static string Glob(string export) => Path.Combine(export, "**", "*.parquet");

    private static async Task<List<object?[]>> DuckAsync(string export, string sql)
    {
        Assert.True(Directory.Exists(export));
        await using var connection = new DuckDBConnection("Data Source=:memory:");
        await connection.OpenAsync(Ct);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await using var reader = await command.ExecuteReaderAsync(Ct);
        var rows = new List<object?[]>();
        while (await reader.ReadAsync(Ct))
        {
            var row = new object?[reader.FieldCount];
            reader.GetValues(row!);
            rows.Add(row);
        }

        return rows;
    }

    private async Task RewriteSegmentAsync(string node, long sequence)
    {
        using var s3 = _backend.CreateRawClient();
        var listed = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = _backend.Bucket, Prefix = $"_hds/audit/{node}/segments/" }, Ct);
        var key = listed.S3Objects.Select(o => o.Key).Single(k =>
        {
            var parts = Path.GetFileNameWithoutExtension(k).Split('-');
            return long.Parse(parts[0], CultureInfo.InvariantCulture) <= sequence && sequence <= long.Parse(parts[1], CultureInfo.InvariantCulture);
        });
        using var original = await s3.GetObjectAsync(new GetObjectRequest { BucketName = _backend.Bucket, Key = key }, Ct);
        var text = await new StreamReader(original.ResponseStream).ReadToEndAsync(Ct);
        var kept = string.Concat(text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.Contains("\"op\":\"Get\"", StringComparison.Ordinal)).Select(l => l + "\n"));
        var bytes = Encoding.UTF8.GetBytes(kept);
        await s3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = _backend.Bucket,
            Key = key,
            InputStream = new MemoryStream(bytes),
            ContentType = "application/x-ndjson",
#pragma warning disable CA5351 // Content-MD5 is what S3 object-lock buckets require, not a security control.
            MD5Digest = Convert.ToBase64String(MD5.HashData(bytes)),
#pragma warning restore CA5351
        }, Ct);
    }

    // Opens the report in headless Debian chromium: a screenshot (a real PNG, not empty) and the DOM after the page's script ran.
    private static async Task<string> BrowserAsync(string html)
    {
        var chromium = new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser" }.FirstOrDefault(File.Exists);
        Assert.True(chromium is not null, "chromium is not installed: tests/s3-server/start.sh installs it (apt-get install chromium)");
        var png = Path.ChangeExtension(html, ".png");
        var url = new Uri(html).AbsoluteUri;
        await RunAsync(chromium!, ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=1280,1600", "--screenshot=" + png, url]);
        var bytes = await File.ReadAllBytesAsync(png, Ct);
        Assert.True(bytes.Length > 10_000, $"screenshot of {bytes.Length} bytes");
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47 }, bytes[..4]);
        return await RunAsync(chromium!, ["--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", url]);
    }

    private static async Task<string> RunAsync(string file, string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(Ct);
        var errors = process.StandardError.ReadToEndAsync(Ct);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        await errors;
        return await output;
    }
}
