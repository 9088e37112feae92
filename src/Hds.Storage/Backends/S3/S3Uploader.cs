using System.Buffers;
using System.Security.Cryptography;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Hds.Storage.Access;
using Hds.Storage.Diagnostics;
using Hds.Storage.Models;
using Hds.Storage.Objects;
using Hds.Storage.Backends.S3.Sites;
using Microsoft.Extensions.Logging;

namespace Hds.Storage.Backends.S3;

/// <summary>
/// The S3 backend's writes of a document's bytes: one PutObject, or a multipart upload whose parts go up in parallel
/// (<see cref="ParallelPartUploader"/>). No aws-chunked uploads: checksums are computed here and sent as plain headers
/// (Content-MD5, x-amz-checksum-sha256) so a corrupted upload is refused by the server. Bodies are buffered one part at a time in
/// pooled buffers: memory does not grow with the object size. The creating requests go through <see cref="WriteAtMostOnce"/>.
/// </summary>
internal sealed class S3Uploader
{
    // Bodies up to this size are read into a buffer of this size first (most health documents are far smaller than a part).
    private const int SmallObjectProbe = 512 * 1024;

    private static readonly TimeSpan AbortAfterUnavailableTimeout = TimeSpan.FromSeconds(1);

    private readonly SiteRouter _sites;
    private readonly HdsS3StorageOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly WriteAtMostOnce _writeOnce;

    // Part and range buffers. Not ArrayPool.Shared: it keeps one array per size in each thread's local slot, so part-sized buffers
    // returned on thread-pool threads piled up (measured: a 64 MiB put + get peaked at twice the (MaxConcurrency + 1) parts it needs).
    // This pool keeps at most two transfers' worth; buffers beyond that go back to the GC.
    private readonly ArrayPool<byte> _buffers;

    public S3Uploader(SiteRouter sites, HdsS3StorageOptions options, TimeProvider time, ILogger logger)
    {
        _sites = sites;
        _options = options;
        _logger = logger;
        _time = time;
        _writeOnce = new WriteAtMostOnce(sites, options, time, logger);
        _buffers = ArrayPool<byte>.Create(
            (int)Math.Min(1 << 30, System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(options.PartSize, options.MultipartThreshold))),
            2 * (options.MaxConcurrency + 1));
    }

    /// <summary>Writes <paramref name="body"/> as a new version; storage failures mapped (<see cref="S3Errors"/>), the body's own failures as they are.</summary>
    public async Task<BackendWriteResult> PutAsync(BackendWriteRequest request, Stream body, OperationContext? operation, CancellationToken cancellationToken)
    {
        try
        {
            return await S3Errors.GuardAsync(() => PutCoreAsync(request, body, operation, cancellationToken), cancellationToken).ConfigureAwait(false);
        }
        catch (SourceReadException ex)
        {
            // The caller's own stream failed: give the caller its own exception, not a storage error.
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(ex.InnerException!);
            throw;
        }
    }

    private async Task<BackendWriteResult> PutCoreAsync(BackendWriteRequest request, Stream body, OperationContext? operation, CancellationToken cancellationToken)
    {
        var threshold = _options.MultipartThreshold;
        var probe = Math.Min(threshold, SmallObjectProbe);
        var pool = ArrayPool<byte>.Shared;
        var buffer = pool.Rent(probe);
        var owned = true;
        try
        {
            // Read up to the threshold, then one look-ahead byte: if the body ends first, one PutObject carries it with its lock
            // headers. (The look-ahead goes to its own array so that the pooled buffer keeps a power-of-two size.) Small objects
            // never touch a part-sized buffer: many concurrent small writes must not each hold one.
            var first = await ReadSourceAsync(body, buffer.AsMemory(0, probe), cancellationToken).ConfigureAwait(false);
            if (first == probe && threshold > probe)
            {
                var large = _buffers.Rent(Math.Max(_options.PartSize, threshold));
                buffer.AsSpan(0, first).CopyTo(large);
                ArrayPool<byte>.Shared.Return(buffer);
                buffer = large;
                pool = _buffers;
                first += await ReadSourceAsync(body, buffer.AsMemory(first, threshold - first), cancellationToken).ConfigureAwait(false);
            }

            var lookAhead = new byte[1];
            if (first < threshold || await ReadSourceAsync(body, lookAhead, cancellationToken).ConfigureAwait(false) == 0)
            {
                return await PutSingleAsync(request, buffer.AsMemory(0, first), operation, cancellationToken).ConfigureAwait(false);
            }

            if (pool != _buffers)
            {
                // A threshold below the probe size (not the default): move to a part buffer.
                var large = _buffers.Rent(Math.Max(_options.PartSize, threshold));
                buffer.AsSpan(0, first).CopyTo(large);
                pool.Return(buffer);
                buffer = large;
                pool = _buffers;
            }

            owned = false; // the uploader returns it to the pool
            return await PutMultipartAsync(request, body, buffer, first, lookAhead, operation, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (owned)
            {
                pool.Return(buffer);
            }
        }
    }

    private static async Task<int> ReadSourceAsync(Stream body, Memory<byte> target, CancellationToken cancellationToken)
    {
        try
        {
            return await body.ReadAtLeastAsync(target, target.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw new SourceReadException(ex);
        }
    }

    private async Task<BackendWriteResult> PutSingleAsync(BackendWriteRequest request, ReadOnlyMemory<byte> data, OperationContext? operation, CancellationToken cancellationToken)
    {
        var (attempt, since) = _writeOnce.Begin();
        var md5 = ContentMd5(data.Span);
        var tries = 0;
        return await _writeOnce.WriteOnceAsync(
            request.Key,
            attempt,
            since,
            operation,
            pinned: null,
            async (site, ct) =>
            {
                var tryId = attempt + "." + Interlocked.Increment(ref tries).ToString(System.Globalization.CultureInfo.InvariantCulture);
                using var stream = AsStream(data);
                var put = ContextHeaders.On(new PutObjectRequest
                {
                    BucketName = _options.Bucket,
                    Key = request.Key,
                    InputStream = stream,
                    AutoCloseStream = false,
                    ContentType = request.ContentType,
                    MD5Digest = md5,
                    UseChunkEncoding = false,
                }, operation);
                (put.DisablePayloadSigning, put.ChecksumSHA256) = BodyDigest(site.ServiceUrl, data.Span);
                AddMetadata(put.Metadata, request);
                put.Metadata.Add(MetadataNames.Attempt, tryId);
                ApplyLock(put, request.Retention);
                var response = await site.Client.PutObjectAsync(put, ct).ConfigureAwait(false);
                return new BackendWriteResult(S3Answers.RequireVersionId(response.VersionId), data.Length, response.ETag) { Site = site.Name };
            },
            cancellationToken).ConfigureAwait(false);
    }

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
            try
            {
                // Not the caller's token: a cancelled upload is still aborted. When every site just failed, one short round only
                // (the operation already waited the failover timeout); the abort is then deferred to the probe.
                Func<SiteEndpoint, CancellationToken, Task<AbortMultipartUploadResponse>> abort = (site, ct) => site.Client.AbortMultipartUploadAsync(
                    ContextHeaders.On(new AbortMultipartUploadRequest { BucketName = _options.Bucket, Key = request.Key, UploadId = upload.UploadId }, operation), ct);
                var abortTimeout = ex is HdsBackendUnavailableException ? AbortAfterUnavailableTimeout : _options.FailoverTimeout;
                await (pinned is null
                    ? _sites.ExecuteAsync(SiteAccess.Write, abort, abortTimeout, CancellationToken.None)
                    : _sites.ExecuteOnAsync(pinned, abort, abortTimeout, CancellationToken.None)).ConfigureAwait(false);
            }
            catch (HdsBackendUnavailableException abortEx)
            {
                // No writable site (or not the upload's own) answers now: the router keeps it and aborts it as soon as one does.
                Log.MultipartAbortDeferred(_logger, abortEx);
                _sites.DeferAbort(pinned, (site, ct) => site.Client.AbortMultipartUploadAsync(
                    new AbortMultipartUploadRequest { BucketName = _options.Bucket, Key = request.Key, UploadId = upload.UploadId }, ct));
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

    /// <summary>Marks a failure of the caller's content stream, so it is not mistaken for a storage failure.</summary>
    private sealed class SourceReadException(Exception inner) : Exception("The content stream failed.", inner);

    // StorageGRID requires Content-MD5 with object-lock headers; RGW and AWS validate it. Transit integrity, not security.
#pragma warning disable CA5351
    private static string ContentMd5(ReadOnlySpan<byte> data) => Convert.ToBase64String(MD5.HashData(data));
#pragma warning restore CA5351

    /// <summary>
    /// One SHA-256 of each body, not two (measured with AWSSDK.S3 4.1, see docs/benchmarks.md). SigV4 signs the body's SHA-256, and
    /// the SDK computes it itself even when the header is preset; by default it even uses aws-chunked streaming signatures (a
    /// SHA-256 per 80 KiB chunk, plus framing). So: never aws-chunked; over http the SDK's signed payload hash is the SHA-256 the
    /// server checks (a mismatch is 400 XAmzContentSHA256Mismatch), so no x-amz-checksum-sha256 of our own; over https the payload
    /// is not signed (TLS protects it in transit) and our SHA-256 goes as x-amz-checksum-sha256, which AWS and StorageGRID check.
    /// Content-MD5 goes in both cases: StorageGRID requires it with lock headers, RGW and AWS check it.
    /// </summary>
    private static (bool? DisablePayloadSigning, string? ChecksumSha256) BodyDigest(Uri serviceUrl, ReadOnlySpan<byte> data) =>
        serviceUrl.Scheme == Uri.UriSchemeHttps ? (true, Convert.ToBase64String(SHA256.HashData(data))) : (null, null);

    private static MemoryStream AsStream(ReadOnlyMemory<byte> data) =>
        System.Runtime.InteropServices.MemoryMarshal.TryGetArray(data, out var segment)
            ? new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false)
            : new MemoryStream(data.ToArray(), writable: false);

    private static void AddMetadata(MetadataCollection target, BackendWriteRequest request)
    {
        foreach (var (name, value) in request.Metadata)
        {
            target.Add(name, value);
        }

        // The lock asked for, with the version: every site that serves it checks it holds at least that (ServedLock).
        if (ServedLock.Format(request.Retention) is { } wantedLock)
        {
            target.Add(MetadataNames.Lock, wantedLock);
        }
    }

    private static void ApplyLock(PutObjectRequest put, HdsRetentionInfo retention)
    {
        if (retention.Mode != HdsRetentionMode.None)
        {
            put.ObjectLockMode = ToLockMode(retention.Mode);
            put.ObjectLockRetainUntilDate = retention.RetainUntil!.Value.UtcDateTime;
        }

        if (retention.LegalHold)
        {
            put.ObjectLockLegalHoldStatus = ObjectLockLegalHoldStatus.On;
        }
    }

    private static ObjectLockMode ToLockMode(HdsRetentionMode mode) => mode == HdsRetentionMode.Governance ? ObjectLockMode.Governance : ObjectLockMode.Compliance;
}
