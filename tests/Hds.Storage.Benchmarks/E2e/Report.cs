using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace Hds.Storage.Benchmarks.E2e;

internal sealed class Report(
    E2eSettings settings, S3Env env, DateTimeOffset started, DateTimeOffset ended, string loadBefore, string loadAfter,
    IReadOnlyList<ScenarioResult> results, IReadOnlyList<string> notes)
{
    private const string Begin = "<!-- e2e:begin (written by `dotnet run -c Release --project tests/Hds.Storage.Benchmarks -- e2e`) -->";
    private const string End = "<!-- e2e:end -->";
    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };

    // Targets of issue 6 (ratio = Hds / raw); memory: absolute MiB above the baseline.
    private static readonly Dictionary<string, (string Text, Func<ScenarioResult, bool> Met)> Targets = new(StringComparer.Ordinal)
    {
        ["put-256MiB"] = ("≥ 0.90 × raw", r => r.Ratio >= 0.90),
        ["get-256MiB"] = ("≥ 0.90 × raw", r => r.Ratio >= 0.90),
        ["put-1GiB"] = ("≥ 0.90 × raw", r => r.Ratio >= 0.90),
        ["get-1GiB"] = ("≥ 0.90 × raw", r => r.Ratio >= 0.90),
        ["ranged-get-1MiB-latency"] = ("≤ 1.2 × raw", r => r.Ratio <= 1.2),
        ["small-100KiB-ops"] = ("≥ 0.80 × raw", r => r.Ratio >= 0.80),
        ["memory-256MiB"] = ("Hds ≤ 64 MiB", r => r.Hds <= 64),
        ["memory-1GiB"] = ("Hds ≤ 64 MiB, ≈ 256 MiB figure", r => r.Hds <= 64),
    };

    public void Print()
    {
        Console.WriteLine();
        Console.WriteLine(Table());
        foreach (var note in notes)
        {
            Console.WriteLine("note: " + note);
        }
    }

    public void Write(string docs)
    {
        Directory.CreateDirectory(docs);
        var json = results.Select(r => new Dictionary<string, object>
        {
            ["scenario"] = r.Scenario,
            ["unit"] = r.Unit,
            ["raw"] = Math.Round(r.Raw, 2),
            ["hds"] = Math.Round(r.Hds, 2),
            ["ratio"] = Math.Round(r.Ratio, 3),
        }).ToList();
        File.WriteAllText(Path.Combine(docs, "benchmarks.json"), JsonSerializer.Serialize(json, JsonOptions) + "\n");

        var path = Path.Combine(docs, "benchmarks.md");
        var existing = File.Exists(path) ? File.ReadAllText(path) : "# Benchmarks\n";
        var section = Section();
        var begin = existing.IndexOf(Begin, StringComparison.Ordinal);
        var end = existing.IndexOf(End, StringComparison.Ordinal);
        var updated = begin >= 0 && end > begin
            ? existing[..begin] + section + existing[(end + End.Length)..]
            : existing.TrimEnd() + "\n\n" + section + "\n";
        File.WriteAllText(path, updated);
        Console.WriteLine($"wrote {path} and benchmarks.json");
    }

    private string Table()
    {
        var sb = new StringBuilder();
        sb.AppendLine("| scenario | unit | raw AWSSDK.S3 | Hds.Storage | Hds / raw | target | met |");
        sb.AppendLine("|---|---|---:|---:|---:|---|---|");
        foreach (var r in results)
        {
            var target = Targets.TryGetValue(r.Scenario, out var t) ? t : ("", _ => true);
            sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Scenario} | {r.Unit} | {r.Raw:F1} | {r.Hds:F1} | {r.Ratio:F2} | {target.Item1} | {(target.Item1.Length == 0 ? "" : target.Item2(r) ? "yes" : "**no**")} |"));
        }

        return sb.ToString();
    }

    private string Section()
    {
        var sb = new StringBuilder();
        sb.AppendLine(Begin);
        sb.AppendLine("## End to end: raw AWSSDK.S3 vs Hds.Storage on the test S3 server (`e2e`)");
        sb.AppendLine();
        sb.AppendLine("```");
        sb.AppendLine("dotnet run -c Release --project tests/Hds.Storage.Benchmarks -- e2e            # full run (4–10 min here, with the machine load)");
        sb.AppendLine("dotnet run -c Release --project tests/Hds.Storage.Benchmarks -- e2e --quick    # smoke run; --help lists the options");
        sb.AppendLine("```");
        sb.AppendLine();
        sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"Run of {started:yyyy-MM-dd HH:mm} UTC ({(ended - started).TotalMinutes:F1} min), arguments `{settings.CommandLine}`: medians of {settings.Reps} interleaved A/B repetitions "
            + $"(memory: {settings.MemoryReps} child process per path and size). Load average (1/5/15 min) before: {loadBefore}; after: {loadAfter}."));
        sb.AppendLine();
        sb.AppendLine(Table());
        foreach (var r in results)
        {
            sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"* **{r.Scenario}**: raw {string.Join(", ", r.RawSamples.Select(v => v.ToString("F1", CultureInfo.InvariantCulture)))}; "
                + $"Hds {string.Join(", ", r.HdsSamples.Select(v => v.ToString("F1", CultureInfo.InvariantCulture)))}{(r.Detail is null ? "" : ". " + r.Detail)}."));
        }

        foreach (var note in notes)
        {
            sb.AppendLine("* " + note);
        }

        sb.AppendLine();
        sb.AppendLine("### How it is measured");
        sb.AppendLine();
        sb.AppendLine(string.Create(CultureInfo.InvariantCulture, $"""
            * Machine: {Machine.Cpu()}, {Machine.MemoryTotal()}, {RuntimeInformation.OSDescription}, .NET {Environment.Version}. The S3 server
              (Ceph RGW 16.2, one mon + one OSD on bluestore in a file, tests/s3-server) runs on the same cores, and other engineers' builds
              and tests shared the machine: figures are noisy, hence interleaved repetitions and medians.
            * Same server ({env.Endpoint}), same bucket (created for the run with object lock; every write GOVERNANCE-locked for one day so the
              run can remove its large objects as it goes; the bucket is removed with `radosgw-admin bucket rm` at the end).
            * **raw AWSSDK.S3**: the client settings Hds.Storage uses (`RequestChecksumCalculation`/`ResponseChecksumValidation =
              WHEN_REQUIRED`, path style), Content-MD5 and object-lock headers on every write; large objects as multipart uploads of
              {settings.PartSize / 1024 / 1024} MiB parts, {settings.Concurrency} in flight, and reads as one GetObject streamed to the end
              (the same strategy as Hds.Storage, so the ratio isolates its own costs); the SDK computes the SigV4 payload SHA-256 itself.
              Small objects: one PutObject and one GetObject.
            * **Hds.Storage**: `HdsStorageClient.PutAsync`/`GetAsync` with an access context, format 1 encryption (256 KiB segments,
              key ring protected by an RSA-2048 certificate made in memory), the audit trail on (local spool, batched uploads), retention
              verified after every write, every byte verified on read. PartSize {settings.PartSize / 1024 / 1024} MiB, MaxConcurrency {settings.Concurrency}.
            * Content: a generated pseudo-random stream (no object held in memory). MiB/s = 2^20 bytes per second of plaintext.
            * Ranged get: 1 MiB at random offsets of the largest object, alternating raw / Hds; Hds reads the header and the covering segments.
            * Memory: a child process per path and size; after a warm-up with a 1 KiB object and a full GC, a sampler thread records
              process RSS (/proc/self/statm, read without allocating) and `GC.GetTotalMemory` every 2 ms during one put + get; the
              figure is the peak above the value before the transfer.
            """));
        sb.Append(End);
        return sb.ToString();
    }
}
