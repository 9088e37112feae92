using System.Text.Json.Serialization;
using Hds.Storage.Cli.Commands;
using Hds.Storage.Models;

namespace Hds.Storage.Cli;

/// <summary>
/// What <c>hds bucket check</c> and <c>hds bucket create</c> print. <see cref="HdsGrade"/> is false for the embedded store whatever
/// its versions and locks: a directory on one disk is never health-data hosting, and the report must not let anyone think so.
/// <see cref="Warnings"/> are the warnings the library logged while opening the store (development certificate, no escrow…): shown
/// whether or not --verbose is given.
/// </summary>
internal sealed record BucketReport(string Bucket, bool VersioningEnabled, bool ObjectLockEnabled, bool Compliant, bool HdsGrade, string Grade, IReadOnlyList<string> Warnings)
{
    public const string EmbeddedStoreGrade =
        "embedded local store: a directory on one disk, no replication, no WORM hardware, keys next to the data. For development and tests only: NOT HDS-grade hosting.";

    public const string S3Grade =
        "S3 object storage with versioning and object lock: fit for health data when the storage is HDS-certified hosting (the provider's certification, not this check, says so).";

    public static BucketReport From(HdsBucketCompliance compliance, bool embeddedStore, IReadOnlyList<string> warnings) =>
        new(compliance.Bucket, compliance.VersioningEnabled, compliance.ObjectLockEnabled, compliance.IsCompliant,
            HdsGrade: !embeddedStore && compliance.IsCompliant,
            Grade: embeddedStore ? EmbeddedStoreGrade : compliance.IsCompliant ? S3Grade : "not fit for health data: versioning and object lock must both be enabled.",
            Warnings: warnings)
        {
            MetadataMaster = compliance.MetadataMaster,
            MetadataMasterReachable = compliance.MetadataMasterReachable,
        };

    /// <summary>The site holding the bucket metadata (--site ...,master), when one is configured.</summary>
    public string? MetadataMaster { get; init; }

    /// <summary>Whether that site answered: false = bucket changes impossible until it is back (exit 11), data still served.</summary>
    public bool? MetadataMasterReachable { get; init; }
}

/// <summary>
/// What <c>hds get --out FILE</c> prints: the version's properties with the size of the content it has just verified and written,
/// and its SHA-256 (the receipt's, for a whole read); for a --range, the number of bytes written and no SHA-256.
/// </summary>
internal sealed record DownloadReport(HdsObjectProperties Properties, string? Sha256, long? RangeBytes);

/// <summary>JSON of everything the CLI prints or reads: camelCase, enums as strings, source-generated (no reflection).</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    UseStringEnumConverter = true,
    WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(BucketReport))]
[JsonSerializable(typeof(Sites.SitesStatusReport))]
[JsonSerializable(typeof(HdsStorageReceipt))]
[JsonSerializable(typeof(HdsObjectProperties))]
[JsonSerializable(typeof(HdsObjectItem))]
[JsonSerializable(typeof(IReadOnlyList<HdsObjectVersionItem>))]
[JsonSerializable(typeof(HdsDeleteResult))]
[JsonSerializable(typeof(HdsVerificationResult))]
[JsonSerializable(typeof(KeyReport))]
[JsonSerializable(typeof(List<KeyReport>))]
[JsonSerializable(typeof(RewrapReport))]
[JsonSerializable(typeof(AuditReport))]
internal sealed partial class CliJson : JsonSerializerContext;
