using System.Net;
using System.Security.Cryptography;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace Hds.Storage.Backends.S3.Sites;

/// <summary>
/// The one measurement of replication lag, used by <c>hds sites status</c> and by <see cref="ReplicationLagMonitor"/>: a probe is
/// 32 random bytes (no PHI) written under a reserved key below <c>_hds/probe/</c> on one site, locked GOVERNANCE for one day
/// (explicitly: the bucket's default rule is not replicated by every backend, and a probe must not stay for twenty years), then
/// looked for by version id on each other site until it appears or the timeout passes. The lag is the time from the write's
/// acknowledgement to the first HEAD that sees it; the sighting also says whether the replica carries the probe's lock.
/// </summary>
internal static class ReplicationProbe
{
    /// <summary>The key of <c>hds sites status</c>'s probes (the key space under _hds/ is the SDK's; no document lives there).</summary>
    public const string SitesStatusKey = "_hds/probe/sites-status";

    /// <summary>The key of the library's background probes (<see cref="HdsS3StorageOptions.ReplicationLagProbeInterval"/>).</summary>
    public const string MonitorKey = "_hds/probe/replication-lag";

    /// <summary>How long a probe stays locked: long enough to see it on every site, short enough not to pile up locked for years.</summary>
    public static readonly TimeSpan LockDuration = TimeSpan.FromDays(1);

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>Writes one probe on <paramref name="s3"/>'s site; returns its version id once that site acknowledged it.</summary>
    public static async Task<string> WriteAsync(IAmazonS3 s3, string bucket, string key, TimeProvider time, CancellationToken cancellationToken)
    {
        var body = RandomNumberGenerator.GetBytes(32);
        var response = await s3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = bucket,
            Key = key,
            InputStream = new MemoryStream(body),
            ContentType = "application/octet-stream",
            ObjectLockMode = ObjectLockMode.Governance,
            ObjectLockRetainUntilDate = time.GetUtcNow().UtcDateTime.Add(LockDuration),
#pragma warning disable CA5351 // Content-MD5 is what object-lock buckets require on a put, not a security control.
            MD5Digest = Convert.ToBase64String(MD5.HashData(body)),
#pragma warning restore CA5351
        }, cancellationToken).ConfigureAwait(false);
        return string.IsNullOrEmpty(response.VersionId) || response.VersionId == "null"
            ? throw new HdsConfigurationException("The storage returned no version id for the replication probe: versioning is not enabled on the bucket.")
            : response.VersionId;
    }

    /// <summary>
    /// Writes one probe on <paramref name="writer"/> and looks for it on each of <paramref name="replicas"/> at the same time; the
    /// sightings are in the order of <paramref name="replicas"/>. The write's failures propagate; the replicas' are in the sightings.
    /// </summary>
    public static async Task<ProbeSighting[]> RunAsync(
        IAmazonS3 writer, IReadOnlyList<IAmazonS3> replicas, string bucket, string key, TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        var versionId = await WriteAsync(writer, bucket, key, time, cancellationToken).ConfigureAwait(false);
        var acknowledged = time.GetTimestamp();
        return await Task.WhenAll(replicas.Select(s3 => AwaitAsync(s3, bucket, key, versionId, acknowledged, timeout, time, cancellationToken))).ConfigureAwait(false);
    }

    /// <summary>
    /// Looks for the probe <paramref name="versionId"/> on <paramref name="s3"/>'s site every 100 ms until it is there or
    /// <paramref name="timeout"/> has passed since <paramref name="acknowledged"/> (a timestamp of <paramref name="time"/>).
    /// Only the caller's cancellation throws.
    /// </summary>
    public static async Task<ProbeSighting> AwaitAsync(
        IAmazonS3 s3, string bucket, string key, string versionId, long acknowledged, TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        var left = timeout - time.GetElapsedTime(acknowledged);
        using var deadline = new CancellationTokenSource(left > TimeSpan.Zero ? left : TimeSpan.Zero, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        string? failure = null;
        while (true)
        {
            try
            {
                var head = await s3.GetObjectMetadataAsync(
                    new GetObjectMetadataRequest { BucketName = bucket, Key = key, VersionId = versionId }, linked.Token).ConfigureAwait(false);
                return new ProbeSighting(time.GetElapsedTime(acknowledged), head.ObjectLockMode == ObjectLockMode.Governance && head.ObjectLockRetainUntilDate is not null, null);
            }
            catch (AmazonS3Exception ex) when (ex.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.BadRequest)
            {
                // Not replicated yet (RGW answers 400 for a version id it does not know yet on some paths).
                failure = null;
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                if (deadline.IsCancellationRequested)
                {
                    return new ProbeSighting(null, false, failure);
                }

                failure = "no answer within the request timeout"; // the SDK's own timeout: ask again
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException or AmazonServiceException)
            {
                // A site that does not answer: counted as not seen when the timeout ends, with the reason.
                failure = SiteRouter.Describe(ex);
            }

            if (time.GetElapsedTime(acknowledged) >= timeout)
            {
                return new ProbeSighting(null, false, failure);
            }

            try
            {
                await Task.Delay(PollInterval, time, linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return new ProbeSighting(null, false, failure);
            }
        }
    }
}

/// <summary>What one site showed of one probe.</summary>
/// <param name="Lag">The time from the write's acknowledgement to the first HEAD that saw it; null when not seen within the timeout.</param>
/// <param name="Locked">Whether the site served it with its GOVERNANCE lock.</param>
/// <param name="Failure">When not seen: why the site's last answer was not one (it did not answer), or null when it answered "not there".</param>
internal readonly record struct ProbeSighting(TimeSpan? Lag, bool Locked, string? Failure)
{
    public bool Seen => Lag is not null;
}
