using System.Diagnostics;
using System.Globalization;
using System.Text;
using DuckDB.NET.Data;
using Hds.Storage.Access;
using Hds.Storage.Audit;
using Hds.Storage.Audit.Search;
using Hds.Storage.Backends.Local;
using Hds.Storage.Retention;
using Hds.Storage.Models;

namespace Hds.Storage.Benchmarks.AuditTrail;

/// <summary>
/// Issue 17's benchmark: a synthetic, chained and checkpointed trail of N records (tenants, actors, patients, one year) in an embedded
/// store, then: a verified search for one patient over the year (every segment read) and over one day (time-pruned), the Parquet export
/// (the hds CLI, as a child process), Parquet size against JSON Lines size, and "all accesses to patient P over the year" with DuckDB over
/// the export (the hds CLI's audit query, and DuckDB in process).
/// <code>dotnet run -c Release --project tests/Hds.Storage.Benchmarks -- audit-trail --records 10000000 [--dir /tmp/x] [--segment 10000]</code>
/// </summary>
internal static class AuditTrailBenchmark
{
    private static readonly string[] Tenants = ["msa", "cnam-idf", "mut-ouest", "mut-est"];
    private static readonly HdsOperation[] Operations = [HdsOperation.Get, HdsOperation.Get, HdsOperation.Get, HdsOperation.Get, HdsOperation.Get, HdsOperation.Get, HdsOperation.Get, HdsOperation.Put, HdsOperation.Put, HdsOperation.Verify];
    private static readonly string[] Purposes = ["care", "claim-processing", "care", "claim-processing", "audit"];

    public static async Task<int> RunAsync(string[] args)
    {
        var records = Arg(args, "--records", 1_000_000);
        var perSegment = Arg(args, "--segment", 10_000);
        var patients = Math.Max(1000, records / 50);
        var directory = Option(args, "--dir") ?? Path.Combine(Path.GetTempPath(), $"hds-audit-bench-{records}");
        var hds = Option(args, "--hds") ?? FindHds();
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }

        var store = Path.Combine(directory, "store");
        var export = Path.Combine(directory, "export");
        Console.WriteLine($"audit-trail benchmark: {records:N0} records, {perSegment:N0} per segment, {patients:N0} patients, in {directory}");

        var start = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var year = TimeSpan.FromDays(365);
        var patient = Patient(42);
        var (generated, jsonlBytes, generateSeconds) = await GenerateAsync(store, records, perSegment, patients, start, year);
        Console.WriteLine($"generated and stored {generated:N0} records ({jsonlBytes / 1e6:N0} MB of JSON Lines) in {generateSeconds:N1} s");

        var options = new HdsStorageOptions { Local = new HdsLocalStorageOptions { Path = store } };
        options.Audit.SpoolDirectory = Path.Combine(directory, "auditor-spool");
        var auditor = new HdsAccessContext("dpo-1", "msa", HdsAuthorizationOptions.AuditPurpose) { Role = HdsAuthorizationOptions.AuditorRole, PatientPseudonym = patient };
        var results = new List<(string What, string Figure)>();
        await using (var client = new HdsStorageClient(options))
        {
            foreach (var (label, from, to) in new[] { ("year", start, start + year), ("one day", start.AddDays(200), start.AddDays(201)) })
            {
                var watch = Stopwatch.StartNew();
                var search = await client.SearchAuditAsync(new HdsAuditQuery { Context = auditor, Patient = patient, From = from, To = to });
                var found = 0;
                await foreach (var record in search)
                {
                    found++;
                }

                var seconds = watch.Elapsed.TotalSeconds;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"search patient over {label}: {found} records in {seconds:N2} s; {search.RecordsScanned:N0} verified ({search.RecordsScanned / seconds:N0} records/s), {search.BytesRead / 1e6:N1} MB read, {search.SegmentsRead} segments read, {search.SegmentsSkipped} skipped, valid={search.IsValid}"));
                results.Add(($"search, patient over {label}", string.Create(CultureInfo.InvariantCulture,
                    $"{seconds:N2} s; {found} found; {search.RecordsScanned:N0} records verified ({search.RecordsScanned / seconds:N0}/s); {search.BytesRead / 1e6:N1} MB read; segments read {search.SegmentsRead}, skipped {search.SegmentsSkipped}")));
            }
        }

        var cli = new[] { "--local", store, "--actor", "dpo-1", "--tenant", "msa", "--purpose", "audit", "--role", "auditor" };
        var exportSeconds = await TimeProcessAsync(hds, ["audit", "export", "--out", export, .. cli]);
        var parquetBytes = Directory.EnumerateFiles(export, "*.parquet", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
        var files = Directory.EnumerateFiles(export, "*.parquet", SearchOption.AllDirectories).Count();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"export (hds audit export): {exportSeconds:N1} s ({generated / exportSeconds:N0} records/s); Parquet {parquetBytes / 1e6:N1} MB in {files} files vs JSON Lines {jsonlBytes / 1e6:N1} MB ({(double)parquetBytes / jsonlBytes:P1})"));
        results.Add(("export (hds audit export, whole trail)", string.Create(CultureInfo.InvariantCulture, $"{exportSeconds:N1} s ({generated / exportSeconds:N0} records/s), {files} files")));
        results.Add(("size", string.Create(CultureInfo.InvariantCulture, $"Parquet {parquetBytes / 1e6:N1} MB vs JSON Lines {jsonlBytes / 1e6:N1} MB ({(double)parquetBytes / jsonlBytes:P1})")));

        var sql = $"select time, actor_id, operation, object_key, purpose, outcome from audit where patient = '{patient}' and time >= '2025-01-01' and time < '2026-01-01' order by time";
        var querySeconds = await TimeProcessAsync(hds, ["audit", "query", sql, "--export", export, "-o", "json"]);
        results.Add(("patient over the year, hds audit query (process, manifest check included)", string.Create(CultureInfo.InvariantCulture, $"{querySeconds:N2} s")));
        var glob = Path.Combine(export, "**", "*.parquet");
        var inProcess = new List<double>();
        for (var i = 0; i < 4; i++)
        {
            var watch = Stopwatch.StartNew();
            await using var connection = new DuckDBConnection("Data Source=:memory:");
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = sql.Replace("from audit", $"from read_parquet('{glob}', hive_partitioning = true)", StringComparison.Ordinal);
            await using var reader = await command.ExecuteReaderAsync();
            var rows = 0;
            while (await reader.ReadAsync())
            {
                rows++;
            }

            inProcess.Add(watch.Elapsed.TotalSeconds);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"DuckDB in process, patient over the year: {rows} rows in {watch.Elapsed.TotalSeconds:N3} s"));
        }

        results.Add(("patient over the year, DuckDB in process (first / best of 3 more)", string.Create(CultureInfo.InvariantCulture, $"{inProcess[0]:N3} s / {inProcess.Skip(1).Min():N3} s")));
        Console.WriteLine();
        Console.WriteLine($"| {records:N0} records | |");
        Console.WriteLine("|---|---|");
        foreach (var (what, figure) in results)
        {
            Console.WriteLine($"| {what} | {figure} |");
        }

        return 0;
    }

    // One writer node's chain, segment by segment, each followed by its signed checkpoint (the embedded store's development signer,
    // which every client of that store trusts), written through the same store code as the audit uploader.
    private static async Task<(long Records, long Bytes, double Seconds)> GenerateAsync(
        string store, int records, int perSegment, int patients, DateTimeOffset start, TimeSpan span)
    {
        var watch = Stopwatch.StartNew();
        await using (new HdsStorageClient(new HdsStorageOptions { Local = new HdsLocalStorageOptions { Path = store } }))
        {
            // creates the store
        }

        var (signer, _) = AuditCertificates.DevelopmentSigner(Path.GetFullPath(store));
        var backend = new LocalBackend(new HdsLocalStorageOptions { Path = store }, TimeProvider.System);
        var audit = new AuditStore(backend, () => new HdsRetentionInfo(HdsRetentionMode.Compliance, DateTimeOffset.UtcNow.AddDays(1), false));
        const string Node = "n00000000000b3c4";
        var random = new Random(17);
        var previous = AuditRecordCodec.GenesisHash;
        long checkpointSequence = 0;
        string? checkpointHash = null;
        long bytes = 0;
        var step = span.Ticks / records;
        var content = new MemoryStream();
        for (long first = 1; first <= records; first += perSegment)
        {
            content.SetLength(0);
            var last = Math.Min(records, first + perSegment - 1);
            HdsAuditRecord? firstRecord = null, lastRecord = null;
            for (var seq = first; seq <= last; seq++)
            {
                var p = random.Next(patients);
                var operation = Operations[random.Next(Operations.Length)];
                var record = AuditRecordCodec.Chain(new HdsAuditRecord
                {
                    Time = start.AddTicks(step * (seq - 1)),
                    Operation = operation,
                    Outcome = random.Next(50) == 0 ? HdsAuditOutcome.Denied : HdsAuditOutcome.Succeeded,
                    ActorId = "agent-" + random.Next(2000).ToString("D4", CultureInfo.InvariantCulture),
                    ActorKind = "user",
                    Role = "agent",
                    Tenant = Tenants[p % Tenants.Length],
                    Purpose = Purposes[random.Next(Purposes.Length)],
                    PatientPseudonym = Patient(p),
                    CorrelationId = "c-" + seq.ToString(CultureInfo.InvariantCulture),
                    Application = "claims-app",
                    Key = $"docs/{p:x8}/{random.Next(8)}",
                    VersionId = random.NextInt64().ToString("x16", CultureInfo.InvariantCulture),
                    Size = operation == HdsOperation.Put ? random.Next(10_000, 2_000_000) : null,
                    Site = "site-a",
                }, Node, seq, previous);
                previous = record.Hash!;
                firstRecord ??= record;
                lastRecord = record;
                var line = AuditRecordCodec.ToLine(record);
                content.Write(line);
                content.WriteByte((byte)'\n');
            }

            var segment = content.ToArray();
            bytes += segment.Length;
            await audit.PutLockedAsync(AuditStore.SegmentKey(Node, first, last, firstRecord!.Time, lastRecord!.Time), segment, "application/x-ndjson", CancellationToken.None);
            var signed = CheckpointSigner.Sign(signer, new AuditCheckpoint(Node, last, lastRecord.Hash!, DateTimeOffset.UtcNow, checkpointSequence, checkpointHash));
            await audit.PutLockedAsync(AuditStore.CheckpointKey(Node, last), signed, "application/pkcs7-mime", CancellationToken.None);
            checkpointSequence = last;
            checkpointHash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(signed));
        }

        return (records, bytes, watch.Elapsed.TotalSeconds);
    }

    private static string Patient(int index) => "msa:p-" + index.ToString("D8", CultureInfo.InvariantCulture);

    private static async Task<double> TimeProcessAsync(string hds, string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(hds);
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        var watch = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        var seconds = watch.Elapsed.TotalSeconds;
        var text = await output;
        Console.WriteLine($"  hds {args[0]} {args[1]}: exit {process.ExitCode}; {(text.Length > 300 ? text[..300] + "…" : text).Trim()} {(await errors).Trim()}");
        return seconds;
    }

    private static string FindHds()
    {
        var root = AppContext.BaseDirectory;
        while (root is not null && !File.Exists(Path.Combine(root, "Hds.Storage.sln")))
        {
            root = Path.GetDirectoryName(root);
        }

        foreach (var configuration in new[] { "Release", "Debug" })
        {
            var path = Path.Combine(root ?? ".", "src", "Hds.Storage.Cli", "bin", configuration, "net10.0", "hds.dll");
            if (File.Exists(path))
            {
                return path;
            }
        }

        throw new InvalidOperationException("Build the CLI first (dotnet build -c Release src/Hds.Storage.Cli) or pass --hds path/to/hds.dll.");
    }

    private static int Arg(string[] args, string name, int fallback) =>
        Option(args, name) is { } value ? int.Parse(value, CultureInfo.InvariantCulture) : fallback;

    private static string? Option(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
