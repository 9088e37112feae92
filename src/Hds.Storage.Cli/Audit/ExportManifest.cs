using Hds.Storage.Audit;
using Hds.Storage.Audit.Search;
using Hds.Storage.Models;

namespace Hds.Storage.Cli.Audit;

/// <summary>
/// <c>manifest.json</c> of an audit export: one entry per run (what it read and verified, what it wrote, with hashes) and, per writer
/// node, the sequence ranges already exported, so that a new run exports only what is new. A file not named in the manifest belongs
/// to a run that did not finish and is removed by the next one.
/// </summary>
internal sealed record ExportManifest(int Version, List<ExportRun> Runs, Dictionary<string, List<long[]>> Exported)
{
    public const string FileName = "manifest.json";

    public static ExportManifest Empty() => new(1, [], new Dictionary<string, List<long[]>>(StringComparer.Ordinal));

    public bool IsExported(string node, long sequence) =>
        Exported.TryGetValue(node, out var ranges) && ranges.Any(r => sequence >= r[0] && sequence <= r[1]);

    public void MarkExported(string node, long first, long last)
    {
        if (!Exported.TryGetValue(node, out var ranges))
        {
            ranges = [];
            Exported[node] = ranges;
        }

        ranges.Add([first, last]);
        ranges.Sort((a, b) => a[0].CompareTo(b[0]));
        for (var i = ranges.Count - 1; i > 0; i--)
        {
            if (ranges[i][0] <= ranges[i - 1][1] + 1)
            {
                ranges[i - 1] = [ranges[i - 1][0], Math.Max(ranges[i - 1][1], ranges[i][1])];
                ranges.RemoveAt(i);
            }
        }
    }
}

/// <summary>One export run.</summary>
internal sealed record ExportRun(
    string Id, DateTimeOffset StartedAt, DateTimeOffset? From, DateTimeOffset? To, bool Valid, long RecordsWritten, long RecordsAlreadyExported,
    List<ExportFile> Files, IReadOnlyList<HdsAuditSegmentInfo> Segments, IReadOnlyList<HdsAuditCheckpointInfo> Checkpoints, IReadOnlyList<HdsAuditProblem> Problems);

/// <summary>One Parquet file written: its path relative to the export directory, its row count and its SHA-256.</summary>
internal sealed record ExportFile(string Path, string Tenant, string Day, long Records, string Sha256);
