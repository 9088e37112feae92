using System.Text.Json.Serialization;
using Hds.Storage.Cli.Commands;
using Hds.Storage.Models;

namespace Hds.Storage.Cli;

/// <summary>What <c>hds bucket check</c> and <c>hds bucket create</c> print.</summary>
internal sealed record BucketReport(string Bucket, bool VersioningEnabled, bool ObjectLockEnabled, bool Compliant)
{
    public static BucketReport From(BucketCompliance compliance) =>
        new(compliance.Bucket, compliance.VersioningEnabled, compliance.ObjectLockEnabled, compliance.IsCompliant);
}

/// <summary>JSON of everything the CLI prints or reads: camelCase, enums as strings, source-generated (no reflection).</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    UseStringEnumConverter = true,
    WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(BucketReport))]
[JsonSerializable(typeof(StorageReceipt))]
[JsonSerializable(typeof(ObjectProperties))]
[JsonSerializable(typeof(List<ObjectItem>))]
[JsonSerializable(typeof(IReadOnlyList<ObjectVersionItem>))]
[JsonSerializable(typeof(DeleteResult))]
[JsonSerializable(typeof(VerificationResult))]
[JsonSerializable(typeof(KeyReport))]
[JsonSerializable(typeof(List<KeyReport>))]
[JsonSerializable(typeof(RewrapReport))]
[JsonSerializable(typeof(AuditReport))]
internal sealed partial class CliJson : JsonSerializerContext;
