using System.Text.Json.Serialization;
using Hds.Storage.Audit;
using Hds.Storage.Audit.Search;
using Hds.Storage.Models;

namespace Hds.Storage.Cli.Audit;

/// <summary>
/// <c>hds audit report</c>: every access to one patient's documents in a period (who, when, what, why, outcome), the accesses per day
/// and actor, and the verification statement (segments and signed checkpoints read, their hashes, every problem).
/// </summary>
internal sealed record AccessReport(
    string Patient,
    DateTimeOffset? From,
    DateTimeOffset? To,
    DateTimeOffset GeneratedAt,
    string GeneratedBy,
    IReadOnlyList<AccessReportEntry> Accesses,
    IReadOnlyList<AccessReportDay> PerDay,
    AccessReportVerification Verification)
{
    public static AccessReport Create(HdsAuditSearch search, IReadOnlyList<HdsAuditRecord> records, string generatedBy, DateTimeOffset now)
    {
        var accesses = records.OrderBy(r => r.Time).Select(r => new AccessReportEntry(
            r.Time, r.ActorId, r.ActorKind, r.Role, r.Tenant, r.Operation.ToString(), r.Key, r.VersionId, r.Purpose, r.Outcome.ToString(), r.Reason, r.Node, r.Sequence)).ToList();
        var perDay = accesses.GroupBy(a => (Day: a.Time.UtcDateTime.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), Actor: a.ActorId ?? "-"))
            .Select(g => new AccessReportDay(g.Key.Day, g.Key.Actor, g.Count())).OrderBy(d => d.Day, StringComparer.Ordinal).ThenBy(d => d.Actor, StringComparer.Ordinal).ToList();
        var verification = new AccessReportVerification(
            search.IsValid, search.RecordsScanned, search.SegmentsRead, search.SegmentsSkipped, search.BytesRead, search.Segments, search.Checkpoints, search.Problems);
        return new AccessReport(search.Query.Patient!, search.Query.From, search.Query.To, now, generatedBy, accesses, perDay, verification);
    }
}

/// <summary>One access in the report.</summary>
internal sealed record AccessReportEntry(
    DateTimeOffset Time, string? ActorId, string? ActorKind, string? Role, string? Tenant, string Operation, string? Key, string? VersionId, string? Purpose,
    string Outcome, string? Reason, string? Node, long Sequence);

/// <summary>How many accesses one actor made on one day (UTC).</summary>
internal sealed record AccessReportDay(string Day, string Actor, int Count);

/// <summary>What was verified to produce the report.</summary>
internal sealed record AccessReportVerification(
    bool Valid, long RecordsScanned, int SegmentsRead, int SegmentsSkipped, long BytesRead, IReadOnlyList<HdsAuditSegmentInfo> Segments,
    IReadOnlyList<HdsAuditCheckpointInfo> Checkpoints, IReadOnlyList<HdsAuditProblem> Problems);

/// <summary>JSON of the report and the export manifest: camelCase, enums as strings, indented.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, UseStringEnumConverter = true, WriteIndented = true)]
[JsonSerializable(typeof(AccessReport))]
[JsonSerializable(typeof(ExportManifest))]
internal sealed partial class AuditAnalyticsJson : JsonSerializerContext;
