using System.Text.Json.Serialization;
using Hds.Storage.Audit;
using Hds.Storage.Models;

namespace Hds.Storage.Cli.Audit;

/// <summary>
/// One audit record as a Parquet row (docs/operations.md, "Audit export"): the record's members in snake_case, time as a UTC timestamp,
/// plus its chain position and hash, so an exported row can be traced back to its segment. The tenant and the day are the partition
/// directories (<c>tenant=…/day=…/</c>, Hive style), not columns of the files.
/// </summary>
internal sealed class AuditParquetRow
{
    [JsonPropertyName("node")] public string Node { get; set; } = string.Empty;

    [JsonPropertyName("seq")] public long Sequence { get; set; }

    [JsonPropertyName("time")] public DateTime Time { get; set; }

    [JsonPropertyName("operation")] public string Operation { get; set; } = string.Empty;

    [JsonPropertyName("outcome")] public string Outcome { get; set; } = string.Empty;

    [JsonPropertyName("reason")] public string? Reason { get; set; }

    [JsonPropertyName("actor_id")] public string? ActorId { get; set; }

    [JsonPropertyName("actor_kind")] public string? ActorKind { get; set; }

    [JsonPropertyName("role")] public string? Role { get; set; }

    [JsonPropertyName("purpose")] public string? Purpose { get; set; }

    [JsonPropertyName("patient")] public string? Patient { get; set; }

    [JsonPropertyName("correlation_id")] public string? CorrelationId { get; set; }

    [JsonPropertyName("app")] public string? Application { get; set; }

    [JsonPropertyName("object_key")] public string? Key { get; set; }

    [JsonPropertyName("version_id")] public string? VersionId { get; set; }

    [JsonPropertyName("size")] public long? Size { get; set; }

    [JsonPropertyName("sha256")] public string? Sha256 { get; set; }

    [JsonPropertyName("key_id")] public string? KeyId { get; set; }

    [JsonPropertyName("trace_id")] public string? TraceId { get; set; }

    [JsonPropertyName("site")] public string? Site { get; set; }

    [JsonPropertyName("hash")] public string? Hash { get; set; }

    public static AuditParquetRow From(HdsAuditRecord r) => new()
    {
        Node = r.Node ?? string.Empty,
        Sequence = r.Sequence,
        Time = r.Time.UtcDateTime,
        Operation = r.Operation.ToString(),
        Outcome = r.Outcome.ToString(),
        Reason = r.Reason,
        ActorId = r.ActorId,
        ActorKind = r.ActorKind,
        Role = r.Role,
        Purpose = r.Purpose,
        Patient = r.PatientPseudonym,
        CorrelationId = r.CorrelationId,
        Application = r.Application,
        Key = r.Key,
        VersionId = r.VersionId,
        Size = r.Size,
        Sha256 = r.Sha256,
        KeyId = r.KeyId,
        TraceId = r.TraceId,
        Site = r.Site,
        Hash = r.Hash,
    };
}
