using Amazon.S3;
using Amazon.S3.Model;
using Hds.Storage.Models;

namespace Hds.Storage.Backends.S3;

/// <summary>
/// The S3 answers (GET and HEAD headers, listing dates, version ids) read into the backend's models, in one place for the verbs,
/// the write-at-most-once lookups and the lock checks (<see cref="ServedLock"/>, <see cref="ReplicaConfirmation"/>).
/// </summary>
internal static class S3Answers
{
    public const string MetadataPrefix = "x-amz-meta-";

    public static string RequireVersionId(string? versionId) =>
        string.IsNullOrEmpty(versionId) || versionId == "null"
            ? throw new HdsConfigurationException("The storage returned no version id: versioning is not enabled on the bucket. Use a bucket created with object lock.")
            : versionId;

    public static DateTimeOffset ToOffset(DateTime? value) =>
        value is { } v ? new DateTimeOffset(v.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(v, DateTimeKind.Utc) : v.ToUniversalTime()) : DateTimeOffset.MinValue;

    public static BackendObjectHead ToHead(string key, GetObjectResponse response, bool ranged) =>
        ToHead(key, response.VersionId, ranged ? ParseTotalLength(response.ContentRange, response.ContentLength) : response.ContentLength,
            response.LastModified, response.Headers.ContentType, response.Metadata, response.ObjectLockMode, response.ObjectLockRetainUntilDate,
            response.ObjectLockLegalHoldStatus, response.ETag);

    public static BackendObjectHead ToHead(
        string key, string? versionId, long length, DateTime? lastModified, string? contentType, MetadataCollection metadata,
        ObjectLockMode? mode, DateTime? retainUntil, ObjectLockLegalHoldStatus? legalHold, string? etag)
    {
        var meta = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in metadata.Keys)
        {
            var shortName = name.StartsWith(MetadataPrefix, StringComparison.OrdinalIgnoreCase) ? name[MetadataPrefix.Length..] : name;
            meta[shortName.ToLowerInvariant()] = metadata[name];
        }

        return new BackendObjectHead(key, RequireVersionId(versionId), length, ToOffset(lastModified), contentType, meta, ToRetention(mode, retainUntil, legalHold), etag);
    }

    /// <summary>The lock of a version from the object-lock headers of a HEAD or GET answer.</summary>
    public static HdsRetentionInfo ToRetention(ObjectLockMode? mode, DateTime? retainUntil, ObjectLockLegalHoldStatus? legalHold)
    {
        var retentionMode = mode is null ? HdsRetentionMode.None
            : mode == ObjectLockMode.Compliance ? HdsRetentionMode.Compliance
            : mode == ObjectLockMode.Governance ? HdsRetentionMode.Governance
            : HdsRetentionMode.None;
        return new HdsRetentionInfo(retentionMode, retainUntil is null ? null : ToOffset(retainUntil), legalHold == ObjectLockLegalHoldStatus.On);
    }

    private static long ParseTotalLength(string? contentRange, long fallback)
    {
        // "bytes 0-99/1234": the total is after the slash.
        var slash = contentRange?.LastIndexOf('/') ?? -1;
        return slash >= 0 && long.TryParse(contentRange.AsSpan(slash + 1), out var total) ? total : fallback;
    }
}
