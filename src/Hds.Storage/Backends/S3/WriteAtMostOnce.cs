using Amazon.S3;
using Amazon.S3.Model;
using Hds.Storage.Access;
using Hds.Storage.Diagnostics;
using Hds.Storage.Objects;
using Hds.Storage.Backends.S3.Sites;
using Microsoft.Extensions.Logging;

namespace Hds.Storage.Backends.S3;

/// <summary>
/// The write-at-most-once protocol of the S3 backend: a creating write (PutObject, CompleteMultipartUpload) lands at most once,
/// whatever answers are lost. Writes carry a per-attempt id (metadata <c>hds-attempt</c>, "&lt;attempt&gt;.&lt;try&gt;"): when a
/// write's answer is lost (timeout, broken connection) the retry first looks for a version with that id and returns it instead
/// of writing the object twice. A lost multipart initiation is cleaned up the same way (<see cref="AbortLostUploadsAsync"/>).
/// The HTTP side of the promise (no blind resend by the SDK) is <see cref="SendOnceHandler"/>.
/// </summary>
internal sealed class WriteAtMostOnce(SiteRouter router, HdsS3StorageOptions options, TimeProvider time, ILogger logger)
{
    // How far back (server clock vs ours) a version written by a lost attempt may be dated.
    private static readonly TimeSpan AttemptClockSlack = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan LostUploadClockSlack = TimeSpan.FromSeconds(5);
    private const int MaxVersionsExamined = 16;

    /// <summary>A new write's attempt id, and the date from which a version it stored may be dated (server clock slack included).</summary>
    public (string Attempt, DateTimeOffset Since) Begin() => (NewAttemptId(), time.GetUtcNow() - AttemptClockSlack);

    // A creating write (PutObject, CompleteMultipartUpload) through the router, landing at most once: every try after the first
    // looks for the version an earlier try stored, its answer lost, and returns it instead of writing another. With asynchronous
    // replication the site of the retry may not have that version yet: the sites the earlier tries went to are asked too.
    // A write only one site can take (the completion of an upload begun there: pinned) is retried there alone; if that site
    // stops answering after a try whose answer was lost, the outcome is unknown and said so.
    public async Task<BackendWriteResult> WriteOnceAsync(
        string key, string attempt, DateTimeOffset since, OperationContext? operation, SiteEndpoint? pinned,
        Func<SiteEndpoint, CancellationToken, Task<BackendWriteResult>> send, CancellationToken cancellationToken)
    {
        var sentTo = new List<SiteEndpoint>();
        if (pinned is not null)
        {
            try
            {
                return await router.ExecuteOnAsync(pinned, TryAsync, options.FailoverTimeout, cancellationToken).ConfigureAwait(false);
            }
            catch (HdsBackendUnavailableException ex) when (sentTo.Count > 0 && ex.InnerException is not WriteOutcomeUnknownException)
            {
                throw OutcomeUnknown(sentTo);
            }
        }

        return await router.ExecuteAsync(SiteAccess.Write, TryAsync, cancellationToken).ConfigureAwait(false);

        async Task<BackendWriteResult> TryAsync(SiteEndpoint site, CancellationToken ct)
        {
            if (sentTo.Count > 0 && await FindAttemptAsync(site, key, attempt, since, operation, ct).ConfigureAwait(false) is { } stored)
            {
                return stored;
            }

            if (options.AsynchronousReplication && sentTo.Any(s => s != site)
                && await FindAttemptOnSitesAsync(sentTo.Where(s => s != site).Distinct().ToList(), key, attempt, since, operation, ct).ConfigureAwait(false) is { } elsewhere)
            {
                return elsewhere;
            }

            sentTo.Add(site);
            try
            {
                return await send(site, ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (TransientFailures.NeverDelivered(ex))
            {
                // The connection was never made (the site is down, refusing): nothing reached it, so nothing to look for there.
                sentTo.Remove(site);
                throw;
            }
        }
    }

    /// <summary>
    /// Looks for the version written by attempt <paramref name="attempt"/> among the newest versions of the key: the outcome of a
    /// write whose answer was lost. Only versions dated after the write began are examined, newest first, at most a few.
    /// </summary>
    public async Task<BackendWriteResult?> FindAttemptAsync(
        SiteEndpoint site, string key, string attempt, DateTimeOffset since, OperationContext? operation, CancellationToken cancellationToken)
    {
        ListVersionsResponse listing;
        try
        {
            listing = await site.Client.ListVersionsAsync(
                ContextHeaders.On(new ListVersionsRequest { BucketName = options.Bucket, Prefix = key, MaxKeys = 100 }, operation), cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonS3Exception ex) when ((int)ex.StatusCode is >= 400 and < 500)
        {
            // The previous try's answer was lost and its outcome cannot be looked up: never guess, never write a second copy.
            throw new HdsBackendUnavailableException(
                "The storage did not answer a write and then refused to list the key's versions: the write's outcome is unknown. Check the key's versions before writing again.", ex);
        }

        var candidates = (listing.Versions ?? [])
            .Where(v => string.Equals(v.Key, key, StringComparison.Ordinal) && v.IsDeleteMarker != true && S3Answers.ToOffset(v.LastModified) >= since)
            .OrderByDescending(v => v.LastModified)
            .Take(MaxVersionsExamined);
        foreach (var version in candidates)
        {
            var head = await site.Client.GetObjectMetadataAsync(
                ContextHeaders.On(new GetObjectMetadataRequest { BucketName = options.Bucket, Key = key, VersionId = version.VersionId }, operation), cancellationToken).ConfigureAwait(false);
            // The stored value is "<attempt>.<try>": any try of this write counts.
            if (head.Metadata[S3Answers.MetadataPrefix + MetadataNames.Attempt] is { } stored && stored.StartsWith(attempt + ".", StringComparison.Ordinal))
            {
                Log.AmbiguousWriteFound(logger, version.VersionId, site.Name);
                return new BackendWriteResult(S3Answers.RequireVersionId(version.VersionId), head.ContentLength, head.ETag) { Site = site.Name, FoundAfterLostAnswer = true };
            }
        }

        return null;
    }

    /// <summary>
    /// Aborts the uploads of exactly <paramref name="key"/> begun between <paramref name="since"/> and <paramref name="until"/> (a few
    /// seconds of clock slack either side): the ones a lost initiation may have created. A concurrent writer of the same key in the
    /// same seconds would see its upload fail cleanly (and retry); an orphaned upload would stay forever.
    /// </summary>
    public async Task AbortLostUploadsAsync(
        SiteEndpoint site, string key, DateTimeOffset since, DateTimeOffset until, OperationContext? operation, CancellationToken cancellationToken)
    {
        var uploads = await site.Client.ListMultipartUploadsAsync(
            ContextHeaders.On(new ListMultipartUploadsRequest { BucketName = options.Bucket, Prefix = key }, operation), cancellationToken).ConfigureAwait(false);
        foreach (var lost in (uploads.MultipartUploads ?? [])
            .Where(u => string.Equals(u.Key, key, StringComparison.Ordinal)
                && S3Answers.ToOffset(u.Initiated) >= since - LostUploadClockSlack && S3Answers.ToOffset(u.Initiated) <= until + LostUploadClockSlack))
        {
            Log.MultipartAborted(logger, null);
            await site.Client.AbortMultipartUploadAsync(
                ContextHeaders.On(new AbortMultipartUploadRequest { BucketName = options.Bucket, Key = key, UploadId = lost.UploadId }, operation), cancellationToken).ConfigureAwait(false);
        }
    }

    // The earlier tries' sites, each asked directly until it answers (found, or not there) within the replication lag timeout: a
    // site that got a try and cannot be asked may hold the version, so the write stops there rather than store a second copy.
    private async Task<BackendWriteResult?> FindAttemptOnSitesAsync(
        List<SiteEndpoint> sites, string key, string attempt, DateTimeOffset since, OperationContext? operation, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        var pause = TimeSpan.FromMilliseconds(100);
        while (true)
        {
            foreach (var site in sites.ToList())
            {
                using var deadline = new CancellationTokenSource(options.RequestTimeout, time);
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
                try
                {
                    if (await FindAttemptAsync(site, key, attempt, since, operation, linked.Token).ConfigureAwait(false) is { } found)
                    {
                        return found;
                    }

                    sites.Remove(site); // it answered: the earlier try did not store the version there
                }
                catch (Exception ex) when (TransientFailures.IsTransient(ex, cancellationToken))
                {
                    // cannot be asked now: keep it
                }
            }

            var left = options.ReplicationLagTimeout - time.GetElapsedTime(started);
            if (sites.Count == 0)
            {
                return null;
            }

            if (left <= TimeSpan.Zero)
            {
                throw OutcomeUnknown(sites);
            }

            await Task.Delay(pause < left ? pause : left, time, cancellationToken).ConfigureAwait(false);
            pause = pause * 2 < TimeSpan.FromSeconds(1) ? pause * 2 : TimeSpan.FromSeconds(1);
        }
    }

    private static HdsBackendUnavailableException OutcomeUnknown(IEnumerable<SiteEndpoint> sites) => new(
        $"A write's answer was lost on site {string.Join(", ", sites.Select(s => s.Name).Distinct())}, which cannot be asked now whether it stored the version: "
        + "no second copy was written. The version may appear there, locked, without a receipt; check the key's versions before writing again.",
        new WriteOutcomeUnknownException());

    private static string NewAttemptId() => Guid.NewGuid().ToString("N");
}
