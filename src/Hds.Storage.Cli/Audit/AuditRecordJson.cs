using System.Text.Json.Serialization;
using Hds.Storage.Audit;
using Hds.Storage.Models;

namespace Hds.Storage.Cli.Audit;

/// <summary>
/// The one JSON shape of an audit record the CLI prints (<c>audit tail</c>, <c>audit search</c>): the library's
/// <see cref="HdsAuditRecord"/> serialized with System.Text.Json, camelCase, absent values omitted, one record per line
/// (<c>sequence</c>, <c>operation</c>, <c>actorId</c>, <c>patientPseudonym</c>…). The stored, hashed form (docs/format.md §12,
/// <see cref="HdsAuditRecord.ToJsonLine"/>) is the verifier's business, not the scripts'.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    UseStringEnumConverter = true,
    WriteIndented = false,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(HdsAuditRecord))]
internal sealed partial class AuditRecordJson : JsonSerializerContext;
