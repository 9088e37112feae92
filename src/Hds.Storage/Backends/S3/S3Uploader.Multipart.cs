using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Hds.Storage.Access;
using Hds.Storage.Diagnostics;
using Hds.Storage.Models;
using Hds.Storage.Objects;
using Hds.Storage.Backends.S3.Sites;

namespace Hds.Storage.Backends.S3;

/// <summary>
/// The multipart path of <see cref="S3Uploader"/>: an upload begun on one site, its parts sent in parallel, completed at most once,
/// aborted on failure; on sites that do not share uploads (asynchronous replication), every call of an upload stays on its site.
/// </summary>
internal sealed partial class S3Uploader
{
    // buffer (from _buffers, owned from here on) holds the first "filled" bytes of the body, lookAhead the byte after them.
    private async Task<BackendWriteResult> PutMultipartAsync(
        BackendWriteRequest request, Stream body, byte[] buffer, int filled, byte[] lookAhead, OperationContext? operation, CancellationToken cancellationToken)
    {
        var (attempt, since) = _writeOnce.Begin();
        var initiate = ContextHeaders.On(
            new InitiateMultipartUploadRequest
            {
                BucketName = _options.Bucket,
                Key = request.Key,
                ContentType = request.ContentType,
            },
            operation);
        AddMetadata(initiate.Metadata, request);

        // Sent for backends that honour them (AWS, StorageGRID); Ceph RGW ignores them, the client verifies and applies after.
        if (request.Retention.Mode != HdsRetentionMode.None)
        {
            initiate.ObjectLockMode = ToLockMode(request.Retention.Mode);
            initiate.ObjectLockRetainUntilDate = request.Retention.RetainUntil!.Value.UtcDateTime;
        }

        if (request.Retention.LegalHold)
        {
            initiate.ObjectLockLegalHoldStatus = ObjectLockLegalHoldStatus.On;
        }

        var initiated = _time.GetUtcNow();
        var initiateTries = 0;
        SiteEndpoint? uploadSite = null;
        var lostInitiations = new List<(SiteEndpoint Site, DateTimeOffset Until)>();
        InitiateMultipartUploadResponse upload;
        try
        {
            upload = await _sites.ExecuteAsync(
                SiteAccess.Write,
                async (site, ct) =>
                {
                    // An earlier initiation whose answer was lost may have created an upload nobody knows the id of: it is aborted
                    // before trying again. Gateways of one system share uploads (any site finds it); replicated sites do not (only the
                    // site that got it; the others are swept later, below).
                    foreach (var lost in lostInitiations.Where(l => !Separate || l.Site == site).ToList())
                    {
                        await _writeOnce.AbortLostUploadsAsync(site, request.Key, initiated, lost.Until, operation, ct).ConfigureAwait(false);
                        lostInitiations.Remove(lost);
                    }

                    initiate.Metadata[MetadataNames.Attempt] = attempt + "." + Interlocked.Increment(ref initiateTries).ToString(System.Globalization.CultureInfo.InvariantCulture);
                    try
                    {
                        var initiatedOn = await site.Client.InitiateMultipartUploadAsync(initiate, ct).ConfigureAwait(false);
                        uploadSite = site;
                        return initiatedOn;
                    }
                    catch (Exception ex) when (TransientFailures.IsTransient(ex, CancellationToken.None) && !TransientFailures.NeverDelivered(ex))
                    {
                        lostInitiations.Add((site, _time.GetUtcNow()));
                        throw;
                    }
                },
                cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            _buffers.Return(buffer);
            throw;
        }
        finally
        {
            // Lost initiations not swept yet (their site is down, or every site failed): swept as soon as their site answers.
            foreach (var (site, until) in lostInitiations)
            {
                _sites.DeferAbort(Separate ? site : null, (s, ct) => _writeOnce.AbortLostUploadsAsync(s, request.Key, initiated, until, operation, ct));
            }
        }

        // Gateways of one storage system share uploads: every call of the upload is routed on its own. Sites kept in step by
        // asynchronous replication do not (an upload begun on one zone is NoSuchUpload on the others, and in-progress uploads are
        // not replicated): there every call of the upload stays on the site that began it, which may come back within the
        // failover timeout; if it does not, the put fails as unavailable and nothing is stored anywhere (the caller retries, and
        // the new upload goes to a site that answers).
        var pinned = Separate ? uploadSite : null;
        try
        {
            // Parts go up in parallel, each through the router on its own (one call per part): a part can fail over to another
            // site (when the sites share uploads); uploading a part again replaces it, so a part whose answer was lost is simply sent again.
            var (uploaded, total) = await ParallelPartUploader.UploadAsync(
                buffer, filled, lookAhead, body, _options.PartSize, _options.MaxConcurrency, _buffers,
                (partNumber, data, ct) => UploadPartAsync(request.Key, upload.UploadId, pinned, partNumber, data, operation, ct),
                ReadSourceAsync, cancellationToken).ConfigureAwait(false);
            var parts = uploaded.Select(p => new PartETag(p.PartNumber, p.ETag)).ToList();

            // A completion whose answer was lost: the upload is gone and the version exists; WriteOnceAsync finds it.
            return await _writeOnce.WriteOnceAsync(
                request.Key,
                attempt,
                since,
                operation,
                pinned,
                async (site, ct) =>
                {
                    var complete = await site.Client.CompleteMultipartUploadAsync(
                        ContextHeaders.On(
                            new CompleteMultipartUploadRequest { BucketName = _options.Bucket, Key = request.Key, UploadId = upload.UploadId, PartETags = parts }, operation),
                        ct).ConfigureAwait(false);
                    if (string.IsNullOrEmpty(complete.VersionId) && request.Retention.Mode != HdsRetentionMode.None)
                    {
                        // Ceph RGW answers a completion that raced with an earlier one (whose answer was lost) with 200 and no version:
                        // the version exists, find it; if it is not visible yet, retry (the next try looks for it first).
                        return await _writeOnce.FindAttemptAsync(site, request.Key, attempt, since, operation, ct).ConfigureAwait(false)
                            ?? throw new HdsBackendUnavailableException("The storage completed the upload without naming the version; looking for it again.");
                    }

                    return new BackendWriteResult(S3Answers.RequireVersionId(complete.VersionId), total, complete.ETag) { Site = site.Name };
                },
                cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // Never leave an orphaned upload: parts of an aborted upload are not billed, listed or readable.
            Log.MultipartAborted(_logger, ex);
            Func<SiteEndpoint, CancellationToken, Task<AbortMultipartUploadResponse>> abort = (site, ct) => site.Client.AbortMultipartUploadAsync(
                ContextHeaders.On(new AbortMultipartUploadRequest { BucketName = _options.Bucket, Key = request.Key, UploadId = upload.UploadId }, operation), ct);
            try
            {
                // Not the caller's token: a cancelled upload is still aborted. When every site just failed, one short round only
                // (the operation already waited the failover timeout); the abort is then deferred (retried by the probe and after
                // calls that succeed).
                var abortTimeout = ex is HdsBackendUnavailableException ? AbortAfterUnavailableTimeout : _options.FailoverTimeout;
                await (pinned is null
                    ? _sites.ExecuteAsync(SiteAccess.Write, abort, abortTimeout, CancellationToken.None)
                    : _sites.ExecuteOnAsync(pinned, abort, abortTimeout, CancellationToken.None)).ConfigureAwait(false);
            }
            catch (HdsBackendUnavailableException abortEx)
            {
                // No writable site (or not the upload's own) answers now: the router keeps it and aborts it as soon as one does.
                Log.MultipartAbortDeferred(_logger, abortEx);
                _sites.DeferAbort(pinned, abort);
            }
            catch (AmazonServiceException abortEx)
            {
                Log.MultipartAborted(_logger, abortEx); // e.g. NoSuchUpload: already gone
            }

            throw;
        }
    }

    // Sites that do not share multipart uploads: separate copies kept in step by asynchronous replication (an upload exists on
    // the site that began it only).
    private bool Separate => _options.AsynchronousReplication && _sites.Sites.Count > 1;

    // Runs on the thread pool, in parallel with other parts: one router call per part (the part fails over on its own, to any
    // writable site, or retries on its upload's site when pinned; uploading a part again replaces it). The part's MD5 is computed
    // once, the SHA-256 (https sites) per try.
    private async Task<string> UploadPartAsync(
        string key, string uploadId, SiteEndpoint? pinned, int partNumber, ReadOnlyMemory<byte> data, OperationContext? operation, CancellationToken cancellationToken)
    {
        var md5 = ContentMd5(data.Span);
        Func<SiteEndpoint, CancellationToken, Task<UploadPartResponse>> send =
            async (site, ct) =>
            {
                using var stream = AsStream(data);
                var upload = ContextHeaders.On(new UploadPartRequest
                {
                    BucketName = _options.Bucket,
                    Key = key,
                    UploadId = uploadId,
                    PartNumber = partNumber,
                    InputStream = stream,
                    PartSize = data.Length,
                    MD5Digest = md5,
                    UseChunkEncoding = false,
                }, operation);
                (upload.DisablePayloadSigning, upload.ChecksumSHA256) = BodyDigest(site.ServiceUrl, data.Span);
                return await site.Client.UploadPartAsync(upload, ct).ConfigureAwait(false);
            };
        var part = await (pinned is null
            ? _sites.ExecuteAsync(SiteAccess.Write, send, cancellationToken)
            : _sites.ExecuteOnAsync(pinned, send, _options.FailoverTimeout, cancellationToken)).ConfigureAwait(false);
        return part.ETag;
    }
}
