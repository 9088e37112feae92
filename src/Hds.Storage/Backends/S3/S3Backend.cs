using System.Buffers;
using System.Security.Cryptography;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Hds.Storage.Access;
using Hds.Storage.Diagnostics;
using Hds.Storage.Models;
using Hds.Storage.Objects;
using Hds.Storage.Retention;
using Hds.Storage.Backends.S3.Sites;
using Microsoft.Extensions.Logging;

namespace Hds.Storage.Backends.S3;

/// <summary>
/// S3 backend over AWSSDK.S3, configured for StorageGRID and Ceph RGW (see ../shared/S3-BACKENDS.md): no aws-chunked uploads,
/// checksums computed here and sent as plain headers (Content-MD5, x-amz-checksum-sha256) so a corrupted upload is refused by
/// the server. Bodies are buffered one part at a time in pooled buffers: memory does not grow with the object size.
/// Every S3 call goes through the <see cref="SiteRouter"/>, which picks the site and fails over per call: the parts of one
/// multipart upload may go to different sites' gateways, and a read that breaks resumes on another site.
/// Writes carry a per-attempt id (metadata <c>hds-attempt</c>): when a write's answer is lost (timeout, broken connection) the
/// retry first looks for a version with that id and returns it instead of writing the object twice.
/// </summary>
internal sealed class S3Backend : StorageBackend
{
    private const string MetadataPrefix = "x-amz-meta-";

    // Bodies up to this size are read into a buffer of this size first (most health documents are far smaller than a part).
    private const int SmallObjectProbe = 512 * 1024;

    // How far back (server clock vs ours) a version written by a lost attempt may be dated.
    private static readonly TimeSpan AttemptClockSlack = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan LostUploadClockSlack = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan AbortAfterUnavailableTimeout = TimeSpan.FromSeconds(1);
    private const int MaxVersionsExamined = 16;

    private readonly SiteRouter _sites;
    private readonly HdsS3StorageOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;

    // Part and range buffers. Not ArrayPool.Shared: it keeps one array per size in each thread's local slot, so part-sized buffers
    // returned on thread-pool threads piled up (measured: a 64 MiB put + get peaked at twice the (MaxConcurrency + 1) parts it needs).
    // This pool keeps at most two transfers' worth; buffers beyond that go back to the GC.
    private readonly ArrayPool<byte> _buffers;

    // Read-your-writes memory, when asked for (HdsS3StorageOptions.ReadYourWrites).
    private readonly WrittenVersions? _written;

    public S3Backend(HdsS3StorageOptions options, ILogger logger, TimeProvider? timeProvider = null)
    {
        _options = options;
        _logger = logger;
        _time = timeProvider ?? TimeProvider.System;
        _buffers = ArrayPool<byte>.Create(
            (int)Math.Min(1 << 30, System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(options.PartSize, options.MultipartThreshold))),
            2 * (options.MaxConcurrency + 1));
        _sites = new SiteRouter(options, _time, logger);
        _written = options.ReadYourWrites ? new WrittenVersions() : null;
    }

    public override string Location => _options.Bucket;

    public override int SiteCount => _sites.Sites.Count;

    public override int DefaultAcknowledgementSites => _options.AcknowledgementSites;

    public override Task<IReadOnlyList<string>> ConfirmOnSitesAsync(
        string key, string versionId, long storedLength, HdsRetentionInfo wanted, string storedOn, int required, OperationContext? operation, CancellationToken cancellationToken) =>
        ReplicaConfirmation.ConfirmAsync(
            _sites, key, versionId, storedLength, wanted, storedOn, required, _options.AcknowledgementTimeout, _time, _logger, operation, cancellationToken);

    /// <summary>The sites and their state (health checks and tests read it).</summary>
    internal SiteRouter Sites => _sites;

    /// <summary>A client for the first site, with the settings that work against StorageGRID and RGW (the CLI creates buckets with it).</summary>
    internal static AmazonS3Client CreateClient(HdsS3StorageOptions options) =>
        CreateClient(options, options.OrderedSites()[0].ServiceUrl!, maxErrorRetry: 2);

    /// <summary>The AWS SDK settings that work against StorageGRID and RGW (measured, see S3-BACKENDS.md).</summary>
    internal static AmazonS3Client CreateClient(HdsS3StorageOptions options, Uri serviceUrl, int maxErrorRetry, bool refuseSdkRetries = false)
    {
        var config = new AmazonS3Config
        {
            ServiceURL = serviceUrl.ToString(),
            ForcePathStyle = options.ForcePathStyle,
            AuthenticationRegion = options.Region,
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
            Timeout = options.RequestTimeout,
            MaxErrorRetry = maxErrorRetry,
            // The SDK copies request bodies through a buffer of this size (default 8 KiB) via its PartialWrapperStream, whose
            // ReadAsync allocates a Task per call: 9 MiB of garbage per GiB uploaded at 8 KiB (measured with allocation ticks in
            // the e2e memory scenario), 0.4 MiB at 128 KiB, with 16x fewer calls.
            BufferSize = 128 * 1024,
        };
        // One handler chain (Consistency-Control, send-once, sockets) and one HttpClient per site for the process; the context
        // headers go on each request object (ContextHeaders.On).
        config.HttpClientFactory = S3HttpClientFactory.For(serviceUrl, options.RequestTimeout, refuseSdkRetries, options.ConsistencyControl, options.HttpClientFactory);

        return options.AccessKey is { } ak
            ? new AmazonS3Client(new BasicAWSCredentials(ak, options.SecretKey), config)
            : new AmazonS3Client(config);
    }

    public override Task<HdsBucketCompliance> CheckBucketAsync(OperationContext? operation, CancellationToken cancellationToken) =>
        CallAsync(SiteAccess.Read, (site, ct) => CheckBucketOnAsync(site.Client, operation, ct), cancellationToken);

    private async Task<HdsBucketCompliance> CheckBucketOnAsync(AmazonS3Client s3, OperationContext? operation, CancellationToken cancellationToken)
    {
        var versioning = await s3.GetBucketVersioningAsync(ContextHeaders.On(new GetBucketVersioningRequest { BucketName = _options.Bucket }, operation), cancellationToken)
            .ConfigureAwait(false);
        var versioningEnabled = versioning.VersioningConfig?.Status == VersionStatus.Enabled;
        bool lockEnabled;
        try
        {
            var lockConfig = await s3.GetObjectLockConfigurationAsync(
                ContextHeaders.On(new GetObjectLockConfigurationRequest { BucketName = _options.Bucket }, operation), cancellationToken).ConfigureAwait(false);
            lockEnabled = lockConfig.ObjectLockConfiguration?.ObjectLockEnabled == ObjectLockEnabled.Enabled;
        }
        catch (AmazonS3Exception ex) when (ex.ErrorCode == "ObjectLockConfigurationNotFoundError" || ex.StatusCode == System.Net.HttpStatusCode.NotFound && ex.ErrorCode != "NoSuchBucket")
        {
            lockEnabled = false;
        }

        return new HdsBucketCompliance(_options.Bucket, versioningEnabled, lockEnabled);
    }

    public override Task<HdsBucketCompliance> CheckMetadataMasterAsync(HdsBucketCompliance compliance, OperationContext? operation, CancellationToken cancellationToken) =>
        MetadataMaster.CheckAsync(_sites, compliance, _options.RequestTimeout, operation, cancellationToken);

    public override async Task<BackendWriteResult> PutAsync(BackendWriteRequest request, Stream body, OperationContext? operation, CancellationToken cancellationToken)
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
                return Remember(request.Key, await PutSingleAsync(request, buffer.AsMemory(0, first), operation, cancellationToken).ConfigureAwait(false));
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
            return Remember(request.Key, await PutMultipartAsync(request, body, buffer, first, lookAhead, operation, cancellationToken).ConfigureAwait(false));
        }
        finally
        {
            if (owned)
            {
                pool.Return(buffer);
            }
        }
    }

    private BackendWriteResult Remember(string key, BackendWriteResult written)
    {
        _written?.Remember(key, written.VersionId);
        return written;
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
        var attempt = NewAttemptId();
        var since = _time.GetUtcNow() - AttemptClockSlack;
        var md5 = ContentMd5(data.Span);
        var tries = 0;
        return await WriteOnceAsync(
            request.Key,
            attempt,
            since,
            operation,
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
                return new BackendWriteResult(RequireVersionId(response.VersionId), data.Length, response.ETag) { Site = site.Name };
            },
            cancellationToken).ConfigureAwait(false);
    }

    // A creating write (PutObject, CompleteMultipartUpload) through the router, landing at most once: every try after the first
    // looks for the version an earlier try stored, its answer lost, and returns it instead of writing another. With asynchronous
    // replication the site of the retry may not have that version yet: the sites the earlier tries went to are asked too.
    private Task<BackendWriteResult> WriteOnceAsync(
        string key, string attempt, DateTimeOffset since, OperationContext? operation, Func<SiteEndpoint, CancellationToken, Task<BackendWriteResult>> send,
        CancellationToken cancellationToken)
    {
        var sentTo = new List<SiteEndpoint>();
        return _sites.ExecuteAsync(
            SiteAccess.Write,
            async (site, ct) =>
            {
                if (sentTo.Count > 0 && await FindAttemptAsync(site, key, attempt, since, operation, ct).ConfigureAwait(false) is { } stored)
                {
                    return stored;
                }

                if (_options.AsynchronousReplication && sentTo.Any(s => s != site)
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
            },
            cancellationToken);
    }

    // The earlier tries' sites, each asked directly until it answers (found, or not there) within the replication lag timeout: a
    // site that got a try and cannot be asked may hold the version, so the write stops there rather than store a second copy.
    private async Task<BackendWriteResult?> FindAttemptOnSitesAsync(
        List<SiteEndpoint> sites, string key, string attempt, DateTimeOffset since, OperationContext? operation, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        var pause = TimeSpan.FromMilliseconds(100);
        while (true)
        {
            foreach (var site in sites.ToList())
            {
                using var deadline = new CancellationTokenSource(_options.RequestTimeout, _time);
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

            var left = _options.ReplicationLagTimeout - _time.GetElapsedTime(started);
            if (sites.Count == 0)
            {
                return null;
            }

            if (left <= TimeSpan.Zero)
            {
                throw new HdsBackendUnavailableException(
                    $"A write's answer was lost on site {string.Join(", ", sites.Select(s => s.Name))}, which cannot be asked now whether it stored the version: "
                    + "no second copy was written. The version may appear there, locked, without a receipt; check the key's versions before writing again.",
                    new WriteOutcomeUnknownException());
            }

            await Task.Delay(pause < left ? pause : left, _time, cancellationToken).ConfigureAwait(false);
            pause = pause * 2 < TimeSpan.FromSeconds(1) ? pause * 2 : TimeSpan.FromSeconds(1);
        }
    }

    /// <summary>
    /// Looks for the version written by attempt <paramref name="attempt"/> among the newest versions of the key: the outcome of a
    /// write whose answer was lost. Only versions dated after the write began are examined, newest first, at most a few.
    /// </summary>
    private async Task<BackendWriteResult?> FindAttemptAsync(
        SiteEndpoint site, string key, string attempt, DateTimeOffset since, OperationContext? operation, CancellationToken cancellationToken)
    {
        ListVersionsResponse listing;
        try
        {
            listing = await site.Client.ListVersionsAsync(
                ContextHeaders.On(new ListVersionsRequest { BucketName = _options.Bucket, Prefix = key, MaxKeys = 100 }, operation), cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonS3Exception ex) when ((int)ex.StatusCode is >= 400 and < 500)
        {
            // The previous try's answer was lost and its outcome cannot be looked up: never guess, never write a second copy.
            throw new HdsBackendUnavailableException(
                "The storage did not answer a write and then refused to list the key's versions: the write's outcome is unknown. Check the key's versions before writing again.", ex);
        }

        var candidates = (listing.Versions ?? [])
            .Where(v => string.Equals(v.Key, key, StringComparison.Ordinal) && v.IsDeleteMarker != true && ToOffset(v.LastModified) >= since)
            .OrderByDescending(v => v.LastModified)
            .Take(MaxVersionsExamined);
        foreach (var version in candidates)
        {
            var head = await site.Client.GetObjectMetadataAsync(
                ContextHeaders.On(new GetObjectMetadataRequest { BucketName = _options.Bucket, Key = key, VersionId = version.VersionId }, operation), cancellationToken).ConfigureAwait(false);
            // The stored value is "<attempt>.<try>": any try of this write counts.
            if (head.Metadata[MetadataPrefix + MetadataNames.Attempt] is { } stored && stored.StartsWith(attempt + ".", StringComparison.Ordinal))
            {
                Log.AmbiguousWriteFound(_logger, version.VersionId, site.Name);
                return new BackendWriteResult(RequireVersionId(version.VersionId), head.ContentLength, head.ETag) { Site = site.Name, FoundAfterLostAnswer = true };
            }
        }

        return null;
    }

    /// <summary>
    /// Aborts the uploads of exactly <paramref name="key"/> begun since <paramref name="since"/> (within a few seconds): the ones a
    /// lost initiation may have created. A concurrent writer of the same key in the same seconds would see its upload fail cleanly
    /// (and retry); an orphaned upload would stay forever.
    /// </summary>
    private async Task AbortLostUploadsAsync(SiteEndpoint site, string key, DateTimeOffset since, OperationContext? operation, CancellationToken cancellationToken)
    {
        var uploads = await site.Client.ListMultipartUploadsAsync(
            ContextHeaders.On(new ListMultipartUploadsRequest { BucketName = _options.Bucket, Prefix = key }, operation), cancellationToken).ConfigureAwait(false);
        foreach (var lost in (uploads.MultipartUploads ?? [])
            .Where(u => string.Equals(u.Key, key, StringComparison.Ordinal) && ToOffset(u.Initiated) >= since - LostUploadClockSlack))
        {
            Log.MultipartAborted(_logger, null);
            await site.Client.AbortMultipartUploadAsync(
                ContextHeaders.On(new AbortMultipartUploadRequest { BucketName = _options.Bucket, Key = key, UploadId = lost.UploadId }, operation), cancellationToken).ConfigureAwait(false);
        }
    }

    private static string NewAttemptId() => Guid.NewGuid().ToString("N");

    // buffer (from _buffers, owned from here on) holds the first "filled" bytes of the body, lookAhead the byte after them.
    private async Task<BackendWriteResult> PutMultipartAsync(
        BackendWriteRequest request, Stream body, byte[] buffer, int filled, byte[] lookAhead, OperationContext? operation, CancellationToken cancellationToken)
    {
        var attempt = NewAttemptId();
        var since = _time.GetUtcNow() - AttemptClockSlack;
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
        var initiateSent = false;
        var initiateTries = 0;
        InitiateMultipartUploadResponse upload;
        try
        {
            upload = await _sites.ExecuteAsync(
                SiteAccess.Write,
                async (site, ct) =>
                {
                    if (initiateSent)
                    {
                        // The previous initiation's answer was lost: it may have created an upload nobody knows the id of.
                        await AbortLostUploadsAsync(site, request.Key, initiated, operation, ct).ConfigureAwait(false);
                    }

                    initiateSent = true;
                    initiate.Metadata[MetadataNames.Attempt] = attempt + "." + Interlocked.Increment(ref initiateTries).ToString(System.Globalization.CultureInfo.InvariantCulture);
                    return await site.Client.InitiateMultipartUploadAsync(initiate, ct).ConfigureAwait(false);
                },
                cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            _buffers.Return(buffer);
            throw;
        }

        try
        {
            // Parts go up in parallel, each through the router on its own (one call per part): a part can fail over to another
            // site; uploading a part again (on any site) replaces it, so a part whose answer was lost is simply sent again.
            var (uploaded, total) = await ParallelPartUploader.UploadAsync(
                buffer, filled, lookAhead, body, _options.PartSize, _options.MaxConcurrency, _buffers,
                (partNumber, data, ct) => UploadPartAsync(request.Key, upload.UploadId, partNumber, data, operation, ct),
                ReadSourceAsync, cancellationToken).ConfigureAwait(false);
            var parts = uploaded.Select(p => new PartETag(p.PartNumber, p.ETag)).ToList();

            // A completion whose answer was lost: the upload is gone and the version exists; WriteOnceAsync finds it.
            return await WriteOnceAsync(
                request.Key,
                attempt,
                since,
                operation,
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
                        return await FindAttemptAsync(site, request.Key, attempt, since, operation, ct).ConfigureAwait(false)
                            ?? throw new HdsBackendUnavailableException("The storage completed the upload without naming the version; looking for it again.");
                    }

                    return new BackendWriteResult(RequireVersionId(complete.VersionId), total, complete.ETag) { Site = site.Name };
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
                await _sites.ExecuteAsync(
                    SiteAccess.Write,
                    (site, ct) => site.Client.AbortMultipartUploadAsync(
                        ContextHeaders.On(new AbortMultipartUploadRequest { BucketName = _options.Bucket, Key = request.Key, UploadId = upload.UploadId }, operation), ct),
                    ex is HdsBackendUnavailableException ? AbortAfterUnavailableTimeout : _options.FailoverTimeout,
                    CancellationToken.None).ConfigureAwait(false);
            }
            catch (HdsBackendUnavailableException abortEx)
            {
                // No writable site answers now: the router keeps it and aborts it as soon as one does.
                Log.MultipartAbortDeferred(_logger, abortEx);
                _sites.DeferAbort(request.Key, upload.UploadId);
            }
            catch (AmazonServiceException abortEx)
            {
                Log.MultipartAborted(_logger, abortEx); // e.g. NoSuchUpload: already gone
            }

            throw;
        }
    }

    // Runs on the thread pool, in parallel with other parts: one router call per part (the part fails over on its own, to any
    // writable site; uploading a part again replaces it). The part's MD5 is computed once, the SHA-256 (https sites) per try.
    private async Task<string> UploadPartAsync(
        string key, string uploadId, int partNumber, ReadOnlyMemory<byte> data, OperationContext? operation, CancellationToken cancellationToken)
    {
        var md5 = ContentMd5(data.Span);
        var part = await _sites.ExecuteAsync(
            SiteAccess.Write,
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
            },
            cancellationToken).ConfigureAwait(false);
        return part.ETag;
    }

    /// <summary>Marks a failure of the caller's content stream, so it is not mistaken for a storage failure.</summary>
    private sealed class SourceReadException(Exception inner) : Exception("The content stream failed.", inner);

    public override Task<BackendReadResult> GetAsync(string key, string? versionId, ByteRange? range, OperationContext? operation, CancellationToken cancellationToken)
    {
        if (range is { } r && (r.Offset < 0 || r.Length <= 0))
        {
            throw new HdsInvalidRequestException("The requested range is empty or negative.");
        }

        // Whole objects come in one GET, not in parallel ranges: for a single-part object the AWS SDK then checks the body against
        // the ETag (MD5) the storage recorded at write time, which catches stored bytes swapped below the S3 API for an older,
        // validly encrypted version of the same key (AtRestTamperingTests). One GET measured as fast as parallel ranges here.
        return S3Errors.GuardAsync(() => GetResumingAsync(key, versionId, range, operation, cancellationToken), cancellationToken);
    }

    private static HdsObjectNotFoundException DeletedByThisClient() =>
        new("The object or version does not exist (or is deleted): this client deleted it, and the site that answered has not received the delete yet.");

    // One GET (through the router) whose body resumes on whichever site serves when it breaks.
    private async Task<BackendReadResult> GetResumingAsync(string key, string? versionId, ByteRange? range, OperationContext? operation, CancellationToken cancellationToken)
    {
        var (response, site) = await ReadAsync(
            versionId,
            async (site, ct) =>
            {
                var request = ContextHeaders.On(new GetObjectRequest { BucketName = _options.Bucket, Key = key, VersionId = versionId }, operation);
                if (range is { } r)
                {
                    request.ByteRange = new Amazon.S3.Model.ByteRange(r.Offset, r.Offset + r.Length - 1);
                }

                return (await site.Client.GetObjectAsync(request, ct).ConfigureAwait(false), site);
            },
            cancellationToken).ConfigureAwait(false);
        var read = Resuming(key, response, site, range?.Offset ?? 0, ranged: range is not null, operation);
        if (versionId is null && _written?.DeletedAfterServed(key, read.Head.VersionId, read.Head.LastModified) == true)
        {
            // Read-your-writes: this client deleted the key after this version; the site has not received the delete yet.
            await read.DisposeAsync().ConfigureAwait(false);
            throw DeletedByThisClient();
        }

        if (versionId is null && _written?.NewerThanServed(key, read.Head.VersionId, read.Head.LastModified) is { } mine)
        {
            // Read-your-writes: this site lags behind this client's own write of the key; read that write (from any site) instead.
            await read.DisposeAsync().ConfigureAwait(false);
            return await GetResumingAsync(key, mine, range, operation, cancellationToken).ConfigureAwait(false);
        }

        try
        {
            var locked = await ServedLock.EnsureAsync(_options.Bucket, site, read.Head, _logger, operation, cancellationToken).ConfigureAwait(false);
            return locked == read.Head.Retention ? read : new BackendReadResult(read.Body, read.Head with { Retention = locked }) { Site = read.Site };
        }
        catch
        {
            await read.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    // A read through the router; for a given version id that the serving site does not have, the other sites are asked too
    // (replication lag: ReplicaLookup).
    private Task<T> ReadAsync<T>(string? versionId, Func<SiteEndpoint, CancellationToken, Task<T>> call, CancellationToken cancellationToken) =>
        versionId is null || _sites.Sites.Count < 2 || !(_options.AsynchronousReplication || _options.ReadYourWrites)
            ? _sites.ExecuteAsync(SiteAccess.Read, call, cancellationToken)
            : ReplicaLookup.ReadVersionAsync(_sites, call, _options.ReplicationLagTimeout, _options.RequestTimeout, _time, _logger, cancellationToken);

    private BackendReadResult Resuming(string key, GetObjectResponse response, SiteEndpoint site, long start, bool ranged, OperationContext? operation)
    {
        BackendObjectHead head;
        try
        {
            head = ToHead(key, response, ranged);
        }
        catch
        {
            response.Dispose();
            throw;
        }

        var end = start + response.ContentLength;
        // A resumed read runs when the caller reads, after the operation returned the content: it carries the operation's context
        // headers all the same (issue 15), from the operation the read was opened for.
        var body = new ResumingReadStream(
            new S3ResponseStream(response), site, start, end, (offset, ct) => ReopenAsync(key, head, offset, end, operation, ct), _options.RequestTimeout, _time, _logger);
        return new BackendReadResult(body, head) { Site = site.Name };
    }

    // The rest of a broken read: the same version (id and ETag pinned) from the offset reached, on whichever site serves.
    private async Task<(Stream Body, SiteEndpoint Site)> ReopenAsync(
        string key, BackendObjectHead head, long offset, long end, OperationContext? operation, CancellationToken cancellationToken)
    {
        return await CallAsync<(Stream, SiteEndpoint)>(
            SiteAccess.Read,
            async (site, ct) =>
            {
                var request = ContextHeaders.On(
                    new GetObjectRequest
                    {
                        BucketName = _options.Bucket,
                        Key = key,
                        VersionId = head.VersionId,
                        EtagToMatch = head.ETag,
                        ByteRange = new Amazon.S3.Model.ByteRange(offset, end - 1),
                    },
                    operation);
                var response = await site.Client.GetObjectAsync(request, ct).ConfigureAwait(false);
                try
                {
                    // The rest of the read comes from this site: it must hold the version's lock too.
                    await ServedLock.EnsureAsync(_options.Bucket, site, ToHead(key, response, ranged: true), _logger, operation, ct).ConfigureAwait(false);
                }
                catch
                {
                    response.Dispose();
                    throw;
                }

                return (new S3ResponseStream(response), site);
            },
            cancellationToken).ConfigureAwait(false);
    }

    public override Task<BackendObjectHead> HeadAsync(string key, string? versionId, OperationContext? operation, CancellationToken cancellationToken) =>
        S3Errors.GuardAsync(async () =>
        {
            var (r, site) = await ReadAsync(
                versionId,
                async (site, ct) => (await site.Client.GetObjectMetadataAsync(
                    ContextHeaders.On(new GetObjectMetadataRequest { BucketName = _options.Bucket, Key = key, VersionId = versionId }, operation), ct).ConfigureAwait(false), site),
                cancellationToken).ConfigureAwait(false);
            var head = ToHead(key, r.VersionId, r.ContentLength, r.LastModified, r.Headers.ContentType, r.Metadata, r.ObjectLockMode,
                r.ObjectLockRetainUntilDate, r.ObjectLockLegalHoldStatus, r.ETag);
            if (_written is not null)
            {
                if (versionId is not null)
                {
                    _written.Dated(key, head.VersionId, head.LastModified); // a write's own lock check dates it
                }
                else if (_written.DeletedAfterServed(key, head.VersionId, head.LastModified))
                {
                    throw DeletedByThisClient(); // read-your-writes, as GetResumingAsync
                }
                else if (_written.NewerThanServed(key, head.VersionId, head.LastModified) is { } mine)
                {
                    return await HeadAsync(key, mine, operation, cancellationToken).ConfigureAwait(false); // read-your-writes, as GetResumingAsync
                }
            }

            return head with { Retention = await ServedLock.EnsureAsync(_options.Bucket, site, head, _logger, operation, cancellationToken).ConfigureAwait(false) };
        }, cancellationToken);

    public override async Task<BackendListPage> ListAsync(string prefix, string? continuationToken, int pageSize, OperationContext? operation, CancellationToken cancellationToken)
    {
        var r = await CallAsync(
            SiteAccess.Read,
            (site, ct) => site.Client.ListObjectsV2Async(
                ContextHeaders.On(new ListObjectsV2Request { BucketName = _options.Bucket, Prefix = prefix, ContinuationToken = continuationToken, MaxKeys = pageSize }, operation),
                ct),
            cancellationToken).ConfigureAwait(false);
        var items = (r.S3Objects ?? []).Select(o => new HdsObjectItem(o.Key, o.Size ?? 0, ToOffset(o.LastModified))).ToList();
        return new BackendListPage(items, r.IsTruncated == true ? r.NextContinuationToken : null);
    }

    public override Task<IReadOnlyList<BackendVersion>> ListVersionsAsync(string key, OperationContext? operation, CancellationToken cancellationToken) =>
        CallAsync(SiteAccess.Read, (site, ct) => ListVersionsOnAsync(site.Client, key, operation, ct), cancellationToken);

    public override async Task<IReadOnlyList<BackendVersion>> ListVersionsOnAnySiteAsync(string key, OperationContext? operation, CancellationToken cancellationToken)
    {
        var versions = await ListVersionsAsync(key, operation, cancellationToken).ConfigureAwait(false);
        if (versions.Count > 0 || _sites.Sites.Count < 2 || !_options.AsynchronousReplication)
        {
            return versions;
        }

        return await S3Errors.GuardAsync(
            async () => await ReplicaLookup.FindOnAnySiteAsync(
                _sites,
                "A key-ring entry",
                async (site, ct) => await ListVersionsOnAsync(site.Client, key, operation, ct).ConfigureAwait(false) is { Count: > 0 } found ? found : null,
                _options.ReplicationLagTimeout, _options.RequestTimeout, _time, _logger, cancellationToken).ConfigureAwait(false) ?? [],
            cancellationToken).ConfigureAwait(false);
    }

    public override Task<IReadOnlyList<BackendVersion>> ListHistoryAsync(string prefix, OperationContext? operation, CancellationToken cancellationToken) =>
        CallAsync(SiteAccess.Read, (site, ct) => ListHistoryOnAsync(site.Client, prefix, operation, ct), cancellationToken);

    // ListObjectVersions pages through keys in order, each key's versions and delete markers newest first: kept in that order.
    private async Task<IReadOnlyList<BackendVersion>> ListHistoryOnAsync(AmazonS3Client s3, string prefix, OperationContext? operation, CancellationToken cancellationToken)
    {
        var result = new List<BackendVersion>();
        var request = ContextHeaders.On(new ListVersionsRequest { BucketName = _options.Bucket, Prefix = prefix, MaxKeys = 1000 }, operation);
        while (true)
        {
            var r = await s3.ListVersionsAsync(request, cancellationToken).ConfigureAwait(false);
            result.AddRange((r.Versions ?? [])
                .Where(v => v.Key.StartsWith(prefix, StringComparison.Ordinal))
                .Select(v => new BackendVersion(v.Key, v.VersionId, v.IsLatest == true, v.IsDeleteMarker == true, v.Size ?? 0, ToOffset(v.LastModified))));
            if (r.IsTruncated != true)
            {
                break;
            }

            request.KeyMarker = r.NextKeyMarker;
            request.VersionIdMarker = r.NextVersionIdMarker;
        }

        return result;
    }

    private async Task<IReadOnlyList<BackendVersion>> ListVersionsOnAsync(AmazonS3Client s3, string key, OperationContext? operation, CancellationToken cancellationToken)
    {
        var result = new List<BackendVersion>();
        var request = ContextHeaders.On(new ListVersionsRequest { BucketName = _options.Bucket, Prefix = key }, operation);
        while (true)
        {
            var r = await s3.ListVersionsAsync(request, cancellationToken).ConfigureAwait(false);
            result.AddRange((r.Versions ?? [])
                .Where(v => string.Equals(v.Key, key, StringComparison.Ordinal))
                .Select(v => new BackendVersion(v.Key, v.VersionId, v.IsLatest == true, v.IsDeleteMarker == true, v.Size ?? 0, ToOffset(v.LastModified)) { ETag = v.ETag }));
            if (r.IsTruncated != true)
            {
                break;
            }

            request.KeyMarker = r.NextKeyMarker;
            request.VersionIdMarker = r.NextVersionIdMarker;
        }

        return result.OrderByDescending(v => v.LastModified).ThenByDescending(v => v.IsLatest).ToList();
    }

    public override async Task<string> DeleteAsync(string key, OperationContext? operation, CancellationToken cancellationToken)
    {
        // A delete marker whose answer was lost and is added again hides the same versions: harmless, and visible in the versions.
        var sentAt = _time.GetUtcNow();
        var r = await CallAsync(
            SiteAccess.Write,
            (site, ct) => site.Client.DeleteObjectAsync(ContextHeaders.On(new DeleteObjectRequest { BucketName = _options.Bucket, Key = key }, operation), ct),
            cancellationToken)
            .ConfigureAwait(false);
        var marker = RequireVersionId(r.VersionId);
        _written?.RememberDeleted(key, marker, sentAt);
        return marker;
    }

    public override Task DeleteVersionAsync(string key, string versionId, OperationContext? operation, CancellationToken cancellationToken) =>
        CallAsync(
            SiteAccess.Write,
            (site, ct) => site.Client.DeleteObjectAsync(ContextHeaders.On(new DeleteObjectRequest { BucketName = _options.Bucket, Key = key, VersionId = versionId }, operation), ct),
            cancellationToken);

    public override Task SetLegalHoldAsync(string key, string versionId, bool enabled, OperationContext? operation, CancellationToken cancellationToken) =>
        CallAsync(
            SiteAccess.Write,
            (site, ct) => site.Client.PutObjectLegalHoldAsync(
                ContextHeaders.On(
                    new PutObjectLegalHoldRequest
                    {
                        BucketName = _options.Bucket,
                        Key = key,
                        VersionId = versionId,
                        LegalHold = new ObjectLockLegalHold { Status = enabled ? ObjectLockLegalHoldStatus.On : ObjectLockLegalHoldStatus.Off },
                    },
                    operation),
                ct),
            cancellationToken);

    public override async Task SetRetentionAsync(
        string key, string versionId, HdsRetentionMode mode, DateTimeOffset retainUntil, OperationContext? operation, CancellationToken cancellationToken)
    {
        try
        {
            await CallAsync(
                SiteAccess.Write,
                (site, ct) => site.Client.PutObjectRetentionAsync(
                    ContextHeaders.On(
                        new PutObjectRetentionRequest
                        {
                            BucketName = _options.Bucket,
                            Key = key,
                            VersionId = versionId,
                            Retention = new ObjectLockRetention
                            {
                                Mode = mode == HdsRetentionMode.Governance ? ObjectLockRetentionMode.Governance : ObjectLockRetentionMode.Compliance,
                                RetainUntilDate = retainUntil.UtcDateTime,
                            },
                        },
                        operation),
                    ct),
                cancellationToken).ConfigureAwait(false);
        }
        catch (HdsStorageException ex) when (ex.InnerException is AmazonS3Exception { StatusCode: System.Net.HttpStatusCode.Forbidden } denied)
        {
            // Shortening or weakening a lock: refused by the server.
            throw new HdsObjectLockedException("The storage refused to shorten or weaken the version's retention.", denied);
        }
    }

    public override async Task<IReadOnlyList<SiteHealth>> ProbeSitesAsync(CancellationToken cancellationToken)
    {
        var result = new List<SiteHealth>(_sites.Sites.Count);
        foreach (var site in _sites.Sites)
        {
            var ok = await _sites.ProbeAsync(site, cancellationToken).ConfigureAwait(false);
            var circuit = $"circuit {site.State.CircuitState}{(site.ReadOnly ? ", read-only" : string.Empty)}";
            var lag = _sites.LagMonitor?.Read(site.Name); // what the background monitor measured: the health check never writes
            result.Add(new SiteHealth(site.Name, ok, site.ReadOnly, (ok
                ? $"reachable in {site.LastProbeLatency!.Value.TotalMilliseconds:0} ms, {circuit}"
                : $"unreachable ({site.LastProbeError}), {circuit}") + (lag is null ? string.Empty : ", " + lag.Description)) { Lag = lag });
        }

        return result;
    }

    public override ValueTask DisposeAsync() => _sites.DisposeAsync();

    // The one error-mapping call: a call through the site router whose AWS SDK failures become the library's exceptions.
    private Task<T> CallAsync<T>(SiteAccess access, Func<SiteEndpoint, CancellationToken, Task<T>> call, CancellationToken cancellationToken) =>
        S3Errors.GuardAsync(() => _sites.ExecuteAsync(access, call, cancellationToken), cancellationToken);

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

    private static string RequireVersionId(string? versionId) =>
        string.IsNullOrEmpty(versionId) || versionId == "null"
            ? throw new HdsConfigurationException("The storage returned no version id: versioning is not enabled on the bucket. Use a bucket created with object lock.")
            : versionId;

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

    private static DateTimeOffset ToOffset(DateTime? value) =>
        value is { } v ? new DateTimeOffset(v.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(v, DateTimeKind.Utc) : v.ToUniversalTime()) : DateTimeOffset.MinValue;

    private static long ParseTotalLength(string? contentRange, long fallback)
    {
        // "bytes 0-99/1234": the total is after the slash.
        var slash = contentRange?.LastIndexOf('/') ?? -1;
        return slash >= 0 && long.TryParse(contentRange.AsSpan(slash + 1), out var total) ? total : fallback;
    }

    private static BackendObjectHead ToHead(string key, GetObjectResponse response, bool ranged) =>
        ToHead(key, response.VersionId, ranged ? ParseTotalLength(response.ContentRange, response.ContentLength) : response.ContentLength,
            response.LastModified, response.Headers.ContentType, response.Metadata, response.ObjectLockMode, response.ObjectLockRetainUntilDate,
            response.ObjectLockLegalHoldStatus, response.ETag);

    private static BackendObjectHead ToHead(
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
    internal static HdsRetentionInfo ToRetention(ObjectLockMode? mode, DateTime? retainUntil, ObjectLockLegalHoldStatus? legalHold)
    {
        var retentionMode = mode is null ? HdsRetentionMode.None
            : mode == ObjectLockMode.Compliance ? HdsRetentionMode.Compliance
            : mode == ObjectLockMode.Governance ? HdsRetentionMode.Governance
            : HdsRetentionMode.None;
        return new HdsRetentionInfo(retentionMode, retainUntil is null ? null : ToOffset(retainUntil), legalHold == ObjectLockLegalHoldStatus.On);
    }
}
