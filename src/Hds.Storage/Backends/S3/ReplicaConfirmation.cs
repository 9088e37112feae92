using System.Net;
using Amazon.S3;
using Amazon.S3.Model;
using Hds.Storage.Access;
using Hds.Storage.Diagnostics;
using Hds.Storage.Retention;
using Hds.Storage.Backends.S3.Sites;
using Microsoft.Extensions.Logging;
using Hds.Storage.Models;

namespace Hds.Storage.Backends.S3;

/// <summary>
/// Acknowledgement on several sites: waits until other sites than the one that stored a version answer for it — a HEAD of that
/// version id on each site itself (not routed: the point is what each site holds), with the stored length and the lock the version
/// must carry. Replication copies a version's lock with it; a replica found without it (a bucket default rule is not replicated,
/// for example) is locked there by PutObjectRetention (which can only extend) when the site takes writes, and checked again.
/// A site that does not have the version yet (404), does not answer or answers 5xx is asked again with growing pauses until the
/// bound; a 403 or a different length means the site will not confirm it.
/// </summary>
internal static class ReplicaConfirmation
{
    private static readonly TimeSpan FirstPause = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MaxPause = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Returns the sites holding the version, locked: <paramref name="storedOn"/> first, then others as they confirm, until
    /// <paramref name="required"/> are known or <paramref name="bound"/> has passed. Cancellation by the caller throws.
    /// </summary>
    public static async Task<IReadOnlyList<string>> ConfirmAsync(
        SiteRouter router, string key, string versionId, long storedLength, HdsRetentionInfo wanted, string storedOn, int required, TimeSpan bound,
        TimeProvider time, ILogger logger, OperationContext? operation, CancellationToken cancellationToken)
    {
        var confirmed = new List<string> { storedOn };
        if (required <= 1)
        {
            return confirmed;
        }

        using var stop = new CancellationTokenSource(bound, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, stop.Token);
        var pending = router.Sites
            .Where(site => !string.Equals(site.Name, storedOn, StringComparison.Ordinal))
            .Select(site => ConfirmOnAsync(router.Bucket, site, key, versionId, storedLength, wanted, time, operation, linked.Token))
            .ToList();
        while (pending.Count > 0 && confirmed.Count < required)
        {
            var done = await Task.WhenAny(pending).ConfigureAwait(false);
            pending.Remove(done);
            if (await done.ConfigureAwait(false) is { } site)
            {
                confirmed.Add(site);
            }
        }

        await linked.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(pending).ConfigureAwait(false); // they end on the cancellation, returning null
        cancellationToken.ThrowIfCancellationRequested();
        if (confirmed.Count < required)
        {
            Log.NotGeoDurable(logger, confirmed.Count, required, bound);
        }

        return confirmed;
    }

    // The site's name once it holds the version with its lock; null when it will not (refused, other length) or the bound passed.
    private static async Task<string?> ConfirmOnAsync(
        string bucket, SiteEndpoint site, string key, string versionId, long storedLength, HdsRetentionInfo wanted, TimeProvider time, OperationContext? operation,
        CancellationToken token)
    {
        var pause = FirstPause;
        var lockApplied = false;
        while (!token.IsCancellationRequested)
        {
            try
            {
                var head = await site.Client.GetObjectMetadataAsync(
                    ContextHeaders.On(new GetObjectMetadataRequest { BucketName = bucket, Key = key, VersionId = versionId }, operation), token).ConfigureAwait(false);
                if (!string.Equals(head.VersionId, versionId, StringComparison.Ordinal) || head.ContentLength != storedLength)
                {
                    return null; // not the bytes that were stored: this site cannot vouch for the write
                }

                if (S3Answers.ToRetention(head.ObjectLockMode, head.ObjectLockRetainUntilDate, head.ObjectLockLegalHoldStatus).Covers(wanted))
                {
                    return site.Name;
                }

                if (!site.ReadOnly && !lockApplied)
                {
                    await ServedLock.ApplyAsync(bucket, site, key, versionId, wanted, operation, token).ConfigureAwait(false);
                    lockApplied = true;
                    continue; // read it back at once
                }

                // A read-only site (or one that did not keep the lock asked): the lock may still arrive by replication.
            }
            catch (AmazonS3Exception ex) when (ex.StatusCode is HttpStatusCode.NotFound || (int)ex.StatusCode >= 500)
            {
                // Not replicated there yet, or the site is struggling: ask again.
            }
            catch (AmazonS3Exception)
            {
                return null; // 403 and other refusals will not change by waiting
            }
            catch (Exception ex) when (TransientFailures.IsTransient(ex, token))
            {
                // Unreachable for now.
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return null;
            }

            try
            {
                await Task.Delay(pause, time, token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return null;
            }

            pause = pause * 2 < MaxPause ? pause * 2 : MaxPause;
        }

        return null;
    }
}
