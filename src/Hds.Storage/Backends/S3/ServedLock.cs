using System.Globalization;
using Amazon.S3;
using Amazon.S3.Model;
using Hds.Storage.Access;
using Hds.Storage.Diagnostics;
using Hds.Storage.Objects;
using Hds.Storage.Retention;
using Hds.Storage.Backends.S3.Sites;
using Microsoft.Extensions.Logging;
using Hds.Storage.Models;

namespace Hds.Storage.Backends.S3;

/// <summary>
/// The lock of a version, checked on the site that serves it. Each site keeps its own copy of a version's lock: replication copies
/// the lock set on the version, but not the bucket's default rule (RGW multisite: a version written on a non-master zone has no
/// lock there), and a site can lose or lag a retention change. So every write records the lock it asked for in the version's
/// metadata (<c>hds-lock</c>, written with the version, immutable), and every read compares the serving site's own lock headers
/// with it: a site holding less is locked there (PutObjectRetention, which can only extend) and read back; a site that cannot be
/// locked (read-only, or it refuses) does not serve the version. The legal hold is not re-applied: it is a decision that can be
/// lifted later, so the served state is reported as the site holds it.
/// </summary>
internal static class ServedLock
{
    /// <summary>The metadata value for a lock: <c>COMPLIANCE 2046-12-01T14:13:00Z</c> (mode, retain-until in UTC seconds).</summary>
    public static string? Format(HdsRetentionInfo retention) =>
        retention.Mode == HdsRetentionMode.None || retention.RetainUntil is not { } until
            ? null
            : (retention.Mode == HdsRetentionMode.Governance ? "GOVERNANCE " : "COMPLIANCE ")
              + until.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>The lock a version was written with, from its metadata; null for versions written without one (older writers).</summary>
    public static HdsRetentionInfo? Required(IReadOnlyDictionary<string, string> metadata)
    {
        if (!metadata.TryGetValue(MetadataNames.Lock, out var value))
        {
            return null;
        }

        var parts = value.Split(' ', 2);
        var mode = parts[0] switch
        {
            "COMPLIANCE" => HdsRetentionMode.Compliance,
            "GOVERNANCE" => HdsRetentionMode.Governance,
            _ => HdsRetentionMode.None,
        };
        return mode != HdsRetentionMode.None && parts.Length == 2
            && DateTimeOffset.TryParse(parts[1], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var until)
            ? new HdsRetentionInfo(mode, until, legalHold: false)
            : null;
    }

    /// <summary>
    /// Makes sure <paramref name="site"/> holds at least the lock the version was written with. Returns the version's lock on that
    /// site (applied now if it lacked it); throws <see cref="HdsConfigurationException"/> when that site cannot hold it.
    /// </summary>
    public static async Task<HdsRetentionInfo> EnsureAsync(
        string bucket, SiteEndpoint site, BackendObjectHead head, ILogger logger, OperationContext? operation, CancellationToken cancellationToken)
    {
        if (Required(head.Metadata) is not { } required || head.Retention.Covers(required))
        {
            return head.Retention;
        }

        if (site.ReadOnly)
        {
            throw Refused(site, "it is read-only, so the lock cannot be applied there; read from a writable site, or wait for replication to bring the lock");
        }

        Log.ServedLockApplied(logger, site.Name, head.Retention.Mode);
        try
        {
            await ApplyAsync(bucket, site, head.Key, head.VersionId, required, operation, cancellationToken).ConfigureAwait(false);
            var after = await site.Client.GetObjectMetadataAsync(
                ContextHeaders.On(new GetObjectMetadataRequest { BucketName = bucket, Key = head.Key, VersionId = head.VersionId }, operation), cancellationToken)
                .ConfigureAwait(false);
            var locked = S3Answers.ToRetention(after.ObjectLockMode, after.ObjectLockRetainUntilDate, after.ObjectLockLegalHoldStatus);
            return locked.Covers(required) ? locked : throw Refused(site, "it did not keep the lock applied");
        }
        catch (AmazonS3Exception ex) when ((int)ex.StatusCode is >= 400 and < 500)
        {
            throw Refused(site, "it refused to lock it (" + ex.ErrorCode + ")", ex);
        }
    }

    /// <summary>PutObjectRetention (and the legal hold when asked) of one version on one site itself, not routed.</summary>
    public static async Task ApplyAsync(
        string bucket, SiteEndpoint site, string key, string versionId, HdsRetentionInfo wanted, OperationContext? operation, CancellationToken cancellationToken)
    {
        await site.Client.PutObjectRetentionAsync(
            ContextHeaders.On(
                new PutObjectRetentionRequest
                {
                    BucketName = bucket,
                    Key = key,
                    VersionId = versionId,
                    Retention = new ObjectLockRetention
                    {
                        Mode = wanted.Mode == HdsRetentionMode.Governance ? ObjectLockRetentionMode.Governance : ObjectLockRetentionMode.Compliance,
                        RetainUntilDate = wanted.RetainUntil!.Value.UtcDateTime,
                    },
                },
                operation),
            cancellationToken).ConfigureAwait(false);
        if (wanted.LegalHold)
        {
            await site.Client.PutObjectLegalHoldAsync(
                ContextHeaders.On(
                    new PutObjectLegalHoldRequest
                    {
                        BucketName = bucket,
                        Key = key,
                        VersionId = versionId,
                        LegalHold = new ObjectLockLegalHold { Status = ObjectLockLegalHoldStatus.On },
                    },
                    operation),
                cancellationToken).ConfigureAwait(false);
        }
    }

    private static HdsConfigurationException Refused(SiteEndpoint site, string why, Exception? inner = null) => new(
        $"The version does not carry the lock it was written with on site {site.Name}, and {why}. The version was not served from that site.", inner);
}
