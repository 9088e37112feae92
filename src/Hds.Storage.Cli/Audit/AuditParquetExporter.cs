using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Hds.Storage.Audit;
using Hds.Storage.Audit.Search;
using Parquet.Serialization;
using Hds.Storage.Models;

namespace Hds.Storage.Cli.Audit;

/// <summary>
/// Writes the records of a verified search as Parquet under <c>{out}/tenant={tenant}/day={yyyy-MM-dd}/part-{run}-{n}.parquet</c> and
/// records the run in <see cref="ExportManifest"/>. Incremental: records already exported (by node and sequence) are skipped.
/// Resumable: files are written under a temporary name and renamed, and the manifest is replaced atomically last; files of an
/// unfinished run are removed when the next run starts, which exports their records again. A directory holding Parquet files but no
/// manifest is refused, never cleaned (<see cref="Claim"/>).
/// </summary>
internal sealed class AuditParquetExporter(string directory, int rowsPerFile = 100_000)
{
    private readonly Dictionary<(string Tenant, string Day), List<AuditParquetRow>> _buffers = [];
    private readonly List<ExportFile> _files = [];
    private readonly Dictionary<string, (long First, long Last)> _touched = new(StringComparer.Ordinal);
    private readonly List<(string Node, long First, long Last)> _runs = [];
    private ExportManifest _manifest = ExportManifest.Empty();
    private string _runId = string.Empty;
    private string? _day;

    public long RecordsWritten { get; private set; }

    public long RecordsAlreadyExported { get; private set; }

    public IReadOnlyList<ExportFile> Files => _files;

    public static ExportManifest? ReadManifest(string directory)
    {
        var path = Path.Combine(directory, ExportManifest.FileName);
        return File.Exists(path) ? JsonSerializer.Deserialize(File.ReadAllText(path), AuditAnalyticsJson.Default.ExportManifest) : null;
    }

    /// <summary>
    /// Before the first run into a directory: refuses one holding Parquet files but no manifest (someone else's data, never ours to
    /// delete), then writes an empty manifest, so that the files of a first run cut before its own manifest are known as ours and
    /// removed by the next run.
    /// </summary>
    public static ExportManifest Claim(string directory)
    {
        if (ReadManifest(directory) is { } manifest)
        {
            return manifest;
        }

        if (Directory.Exists(directory) && Directory.EnumerateFiles(directory, "*.parquet", SearchOption.AllDirectories).Any())
        {
            throw new CliUsageException($"{directory} holds Parquet files but no {ExportManifest.FileName}: export to an empty directory or to an earlier export's.");
        }

        Directory.CreateDirectory(directory);
        WriteManifest(directory, ExportManifest.Empty());
        return ExportManifest.Empty();
    }

    public void Begin(DateTimeOffset now)
    {
        _manifest = Claim(directory);
        _runId = now.UtcDateTime.ToString("yyyyMMdd'T'HHmmssfff", CultureInfo.InvariantCulture);

        // Files no finished run names: a run interrupted after writing them. Their records are exported again by this run.
        var known = _manifest.Runs.SelectMany(r => r.Files).Select(f => f.Path).ToHashSet(StringComparer.Ordinal);
        // Only what a run writes (a file, or one still under its temporary name): nothing else in the directory is ours to delete.
        foreach (var file in Directory.EnumerateFiles(directory, "*.parquet*", SearchOption.AllDirectories))
        {
            if ((file.EndsWith(".parquet", StringComparison.Ordinal) || file.EndsWith(".parquet.tmp", StringComparison.Ordinal)) && !known.Contains(Relative(file)))
            {
                File.Delete(file);
            }
        }
    }

    public async Task AddAsync(HdsAuditRecord record, CancellationToken cancellationToken)
    {
        var node = record.Node ?? string.Empty;
        if (_manifest.IsExported(node, record.Sequence))
        {
            RecordsAlreadyExported++;
            return;
        }

        var partition = (record.Tenant ?? "_none", record.Time.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));

        // A node's records come in time order: when the day changes, the other days' rows are written out, so memory holds about
        // one day of records whatever the length of the trail.
        if (!string.Equals(partition.Item2, _day, StringComparison.Ordinal))
        {
            foreach (var (other, buffered) in _buffers)
            {
                if (buffered.Count > 0 && !string.Equals(other.Day, partition.Item2, StringComparison.Ordinal))
                {
                    await FlushAsync(other, buffered, cancellationToken).ConfigureAwait(false);
                }
            }

            _day = partition.Item2;
        }

        if (!_buffers.TryGetValue(partition, out var rows))
        {
            rows = [];
            _buffers[partition] = rows;
        }

        rows.Add(AuditParquetRow.From(record));
        Track(node, record.Sequence);
        if (rows.Count >= rowsPerFile)
        {
            await FlushAsync(partition, rows, cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task CommitAsync(HdsAuditSearch search, DateTimeOffset startedAt, CancellationToken cancellationToken)
    {
        foreach (var (partition, rows) in _buffers)
        {
            if (rows.Count > 0)
            {
                await FlushAsync(partition, rows, cancellationToken).ConfigureAwait(false);
            }
        }

        foreach (var (node, range) in _touched)
        {
            _runs.Add((node, range.First, range.Last));
        }

        // Only what was written is marked exported, range by contiguous range (a tampered segment's records were not delivered).
        foreach (var (node, first, last) in _runs)
        {
            _manifest.MarkExported(node, first, last);
        }

        _manifest.Runs.Add(new ExportRun(_runId, startedAt, search.Query.From, search.Query.To, search.IsValid, RecordsWritten, RecordsAlreadyExported,
            _files, search.Segments, search.Checkpoints, search.Problems));
        WriteManifest(directory, _manifest);
    }

    // Replaced atomically: a reader sees the previous manifest or this one, never half of it.
    private static void WriteManifest(string directory, ExportManifest manifest)
    {
        var path = Path.Combine(directory, ExportManifest.FileName);
        File.WriteAllText(path + ".tmp", JsonSerializer.Serialize(manifest, AuditAnalyticsJson.Default.ExportManifest));
        File.Move(path + ".tmp", path, overwrite: true);
    }

    /// <summary>Checks every file the manifest names against its hash, and that no other Parquet file is there; the problems found.</summary>
    public static List<string> VerifyFiles(string directory, ExportManifest manifest)
    {
        var problems = new List<string>();
        var named = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in manifest.Runs.SelectMany(r => r.Files))
        {
            named.Add(file.Path);
            var full = Path.Combine(directory, file.Path);
            if (!File.Exists(full))
            {
                problems.Add($"{file.Path}: named by the manifest but missing");
            }
            else if (!string.Equals(Sha256Of(full), file.Sha256, StringComparison.Ordinal))
            {
                problems.Add($"{file.Path}: its SHA-256 differs from the manifest's");
            }
        }

        foreach (var file in Directory.EnumerateFiles(directory, "*.parquet", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(directory, file).Replace('\\', '/');
            if (!named.Contains(relative))
            {
                problems.Add($"{relative}: not named by the manifest");
            }
        }

        foreach (var run in manifest.Runs.Where(r => !r.Valid))
        {
            problems.Add($"run {run.Id}: the audit trail was not intact when it was exported ({run.Problems.Count} problem(s))");
        }

        return problems;
    }

    private void Track(string node, long sequence)
    {
        if (_touched.TryGetValue(node, out var range))
        {
            if (sequence == range.Last + 1)
            {
                _touched[node] = (range.First, sequence);
                return;
            }

            _runs.Add((node, range.First, range.Last));
        }

        _touched[node] = (sequence, sequence);
    }

    private async Task FlushAsync((string Tenant, string Day) partition, List<AuditParquetRow> rows, CancellationToken cancellationToken)
    {
        var relative = string.Create(CultureInfo.InvariantCulture, $"tenant={partition.Tenant}/day={partition.Day}/part-{_runId}-{_files.Count:D5}.parquet");
        var full = Path.Combine(directory, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var stream = File.Create(full + ".tmp");
        await using (stream.ConfigureAwait(false))
        {
            await ParquetSerializer.SerializeAsync(rows, stream, cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        File.Move(full + ".tmp", full);
        _files.Add(new ExportFile(relative, partition.Tenant, partition.Day, rows.Count, Sha256Of(full)));
        RecordsWritten += rows.Count;
        rows.Clear();
    }

    private string Relative(string full) => Path.GetRelativePath(directory, full).Replace('\\', '/');

    private static string Sha256Of(string path)
    {
        using var file = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(file));
    }
}
