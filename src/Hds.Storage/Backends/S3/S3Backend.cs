using System.Buffers;
using System.Security.Cryptography;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Hds.Storage.Diagnostics;
using Hds.Storage.Models;
using Hds.Storage.Retention;
using Microsoft.Extensions.Logging;

namespace Hds.Storage.Backends.S3;

/// <summary>
/// S3 backend over AWSSDK.S3, configured for StorageGRID and Ceph RGW (see ../shared/S3-BACKENDS.md): no aws-chunked uploads,
/// checksums computed here and sent as plain headers (Content-MD5, x-amz-checksum-sha256) so a corrupted upload is refused by
/// the server. Bodies are buffered one part at a time in pooled buffers: memory does not grow with the object size.
/// </summary>
internal sealed class S3Backend : StorageBackend
{
    private const string MetadataPrefix = "x-amz-meta-";

    // Bodies up to this size are read into a buffer of this size first (most health documents are far smaller than a part).
    private const int SmallObjectProbe = 512 * 1024;
    private readonly AmazonS3Client _s3;
    private readonly S3StorageOptions _options;
    private readonly ILogger _logger;

    // Part and range buffers. Not ArrayPool.Shared: it keeps one array per size in each thread's local slot, so part-sized buffers
    // returned on thread-pool threads piled up (measured: a 64 MiB put + get peaked at twice the (MaxConcurrency + 1) parts it needs).
    // This pool keeps at most two transfers' worth; buffers beyond that go back to the GC.
    private readonly ArrayPool<byte> _buffers;

    public S3Backend(S3StorageOptions options, ILogger logger)
    {
        _options = options;
        _logger = logger;
        _buffers = ArrayPool<byte>.Create(
            (int)Math.Min(1 << 30, System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(options.PartSize, options.MultipartThreshold))),
            2 * (options.MaxConcurrency + 1));
        _s3 = CreateClient(options);
    }

    public override string Location => _options.Bucket;

    /// <summary>The AWS SDK settings that work against StorageGRID and RGW (measured, see S3-BACKENDS.md).</summary>
    internal static AmazonS3Client CreateClient(S3StorageOptions options)
    {
        var config = new AmazonS3Config
        {
            ServiceURL = options.ServiceUrl!.ToString(),
            ForcePathStyle = options.ForcePathStyle,
            AuthenticationRegion = options.Region,
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
            Timeout = options.RequestTimeout,
            MaxErrorRetry = 2,
        };
        // Every request carries the pseudonymous context headers of the operation in progress (composes with the test seam).
        config.HttpClientFactory = new ContextHeadersHttpClientFactory(options.HttpClientFactory);

        return options.AccessKey is { } ak
            ? new AmazonS3Client(new BasicAWSCredentials(ak, options.SecretKey), config)
            : new AmazonS3Client(config);
    }

    public override async Task<BucketCompliance> CheckBucketAsync(CancellationToken cancellationToken)
    {
        try
        {
            var versioning = await _s3.GetBucketVersioningAsync(new GetBucketVersioningRequest { BucketName = _options.Bucket }, cancellationToken)
                .ConfigureAwait(false);
            var versioningEnabled = versioning.VersioningConfig?.Status == VersionStatus.Enabled;
            bool lockEnabled;
            try
            {
                var lockConfig = await _s3.GetObjectLockConfigurationAsync(
                    new GetObjectLockConfigurationRequest { BucketName = _options.Bucket }, cancellationToken).ConfigureAwait(false);
                lockEnabled = lockConfig.ObjectLockConfiguration?.ObjectLockEnabled == ObjectLockEnabled.Enabled;
            }
            catch (AmazonS3Exception ex) when (ex.ErrorCode == "ObjectLockConfigurationNotFoundError" || ex.StatusCode == System.Net.HttpStatusCode.NotFound && ex.ErrorCode != "NoSuchBucket")
            {
                lockEnabled = false;
            }

            return new BucketCompliance(_options.Bucket, versioningEnabled, lockEnabled);
        }
        catch (Exception ex) when (S3Errors.Map(ex, cancellationToken) is var mapped && mapped != ex)
        {
            throw mapped;
        }
    }

    public override async Task<BackendWriteResult> PutAsync(BackendWriteRequest request, Stream body, CancellationToken cancellationToken)
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
                return await PutSingleAsync(request, buffer.AsMemory(0, first), cancellationToken).ConfigureAwait(false);
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
            return await PutMultipartAsync(request, body, buffer, first, lookAhead, cancellationToken).ConfigureAwait(false);
        }
        catch (SourceReadException ex)
        {
            // The caller's own stream failed: give the caller its own exception, not a storage error.
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(ex.InnerException!);
            throw;
        }
        catch (Exception ex) when (S3Errors.Map(ex, cancellationToken) is var mapped && mapped != ex)
        {
            throw mapped;
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

    private async Task<BackendWriteResult> PutSingleAsync(BackendWriteRequest request, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        using var stream = AsStream(data);
        var put = new PutObjectRequest
        {
            BucketName = _options.Bucket,
            Key = request.Key,
            InputStream = stream,
            AutoCloseStream = false,
            ContentType = request.ContentType,
            MD5Digest = ContentMd5(data.Span),
            UseChunkEncoding = false,
        };
        (put.DisablePayloadSigning, put.ChecksumSHA256) = BodyDigest(data.Span);
        AddMetadata(put.Metadata, request.Metadata);
        ApplyLock(put, request.Retention);
        var response = await _s3.PutObjectAsync(put, cancellationToken).ConfigureAwait(false);
        return new BackendWriteResult(RequireVersionId(response.VersionId), data.Length, response.ETag);
    }

    // buffer (from _buffers, owned from here on) holds the first "filled" bytes of the body, lookAhead the byte after them.
    private async Task<BackendWriteResult> PutMultipartAsync(
        BackendWriteRequest request, Stream body, byte[] buffer, int filled, byte[] lookAhead, CancellationToken cancellationToken)
    {
        var initiate = new InitiateMultipartUploadRequest
        {
            BucketName = _options.Bucket,
            Key = request.Key,
            ContentType = request.ContentType,
        };
        AddMetadata(initiate.Metadata, request.Metadata);

        // Sent for backends that honour them (AWS, StorageGRID); Ceph RGW ignores them, the client verifies and applies after.
        if (request.Retention.Mode != RetentionMode.None)
        {
            initiate.ObjectLockMode = ToLockMode(request.Retention.Mode);
            initiate.ObjectLockRetainUntilDate = request.Retention.RetainUntil!.Value.UtcDateTime;
        }

        if (request.Retention.LegalHold)
        {
            initiate.ObjectLockLegalHoldStatus = ObjectLockLegalHoldStatus.On;
        }

        InitiateMultipartUploadResponse upload;
        try
        {
            upload = await _s3.InitiateMultipartUploadAsync(initiate, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            _buffers.Return(buffer);
            throw;
        }

        try
        {
            var (uploaded, total) = await ParallelPartUploader.UploadAsync(
                buffer, filled, lookAhead, body, _options.PartSize, _options.MaxConcurrency, _buffers,
                (partNumber, data, ct) => UploadPartAsync(request.Key, upload.UploadId, partNumber, data, ct),
                ReadSourceAsync, cancellationToken).ConfigureAwait(false);
            var parts = uploaded.Select(p => new PartETag(p.PartNumber, p.ETag)).ToList();
            var complete = await _s3.CompleteMultipartUploadAsync(
                new CompleteMultipartUploadRequest { BucketName = _options.Bucket, Key = request.Key, UploadId = upload.UploadId, PartETags = parts },
                cancellationToken).ConfigureAwait(false);
            return new BackendWriteResult(RequireVersionId(complete.VersionId), total, complete.ETag);
        }
        catch (Exception ex)
        {
            // Never leave an orphaned upload: parts of an aborted upload are not billed, listed or readable.
            Log.MultipartAborted(_logger, ex);
            try
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                await _s3.AbortMultipartUploadAsync(
                    new AbortMultipartUploadRequest { BucketName = _options.Bucket, Key = request.Key, UploadId = upload.UploadId }, cts.Token).ConfigureAwait(false);
            }
            catch (Exception abortEx) when (abortEx is AmazonServiceException or HttpRequestException or OperationCanceledException or IOException)
            {
                Log.MultipartAborted(_logger, abortEx);
            }

            throw;
        }
    }

    // Runs on the thread pool, in parallel with other parts: the digests of one part are computed here, once.
    private async Task<string> UploadPartAsync(string key, string uploadId, int partNumber, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        using var stream = AsStream(data);
        var upload = new UploadPartRequest
        {
            BucketName = _options.Bucket,
            Key = key,
            UploadId = uploadId,
            PartNumber = partNumber,
            InputStream = stream,
            PartSize = data.Length,
            MD5Digest = ContentMd5(data.Span),
            UseChunkEncoding = false,
        };
        (upload.DisablePayloadSigning, upload.ChecksumSHA256) = BodyDigest(data.Span);
        var part = await _s3.UploadPartAsync(upload, cancellationToken).ConfigureAwait(false);
        return part.ETag;
    }

    /// <summary>Marks a failure of the caller's content stream, so it is not mistaken for a storage failure.</summary>
    private sealed class SourceReadException(Exception inner) : Exception("The content stream failed.", inner);

    public override async Task<BackendReadResult> GetAsync(string key, string? versionId, ByteRange? range, CancellationToken cancellationToken)
    {
        try
        {
            if (range is null && _options.MaxConcurrency > 1)
            {
                return await GetParallelAsync(key, versionId, cancellationToken).ConfigureAwait(false);
            }

            var request = new GetObjectRequest { BucketName = _options.Bucket, Key = key, VersionId = versionId };
            if (range is { } r)
            {
                if (r.Offset < 0 || r.Length <= 0)
                {
                    throw new HdsInvalidRequestException("The requested range is empty or negative.");
                }

                request.ByteRange = new Amazon.S3.Model.ByteRange(r.Offset, r.Offset + r.Length - 1);
            }

            var response = await _s3.GetObjectAsync(request, cancellationToken).ConfigureAwait(false);
            return new BackendReadResult(new S3ResponseStream(response), ToHead(key, response, ranged: range is not null));
        }
        catch (Exception ex) when (S3Errors.Map(ex, cancellationToken) is var mapped && mapped != ex)
        {
            throw mapped;
        }
    }

    // A whole-object read in one request when it fits in one part-sized range; otherwise the first range comes with the answer
    // (and the version's metadata) and the rest is fetched in parallel ranges pinned to that version.
    private async Task<BackendReadResult> GetParallelAsync(string key, string? versionId, CancellationToken cancellationToken)
    {
        var chunk = _options.PartSize;
        GetObjectResponse response;
        try
        {
            response = await _s3.GetObjectAsync(
                new GetObjectRequest { BucketName = _options.Bucket, Key = key, VersionId = versionId, ByteRange = new Amazon.S3.Model.ByteRange(0, chunk - 1) },
                cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == System.Net.HttpStatusCode.RequestedRangeNotSatisfiable)
        {
            // An empty object has no byte 0: read it whole.
            var whole = await _s3.GetObjectAsync(new GetObjectRequest { BucketName = _options.Bucket, Key = key, VersionId = versionId }, cancellationToken)
                .ConfigureAwait(false);
            return new BackendReadResult(new S3ResponseStream(whole), ToHead(key, whole, ranged: false));
        }

        var head = ToHead(key, response, ranged: true);
        if (head.StoredLength <= chunk)
        {
            return new BackendReadResult(new S3ResponseStream(response), head);
        }

        var pinned = head.VersionId;
        var stream = new ParallelRangeReadStream(
            new S3ResponseStream(response), Math.Min(chunk, response.ContentLength), head.StoredLength, chunk, _options.MaxConcurrency, _buffers,
            (offset, target, ct) => FetchRangeAsync(key, pinned, offset, target, ct));
        return new BackendReadResult(stream, head);
    }

    private async Task FetchRangeAsync(string key, string versionId, long offset, Memory<byte> target, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await _s3.GetObjectAsync(
                new GetObjectRequest
                {
                    BucketName = _options.Bucket,
                    Key = key,
                    VersionId = versionId,
                    ByteRange = new Amazon.S3.Model.ByteRange(offset, offset + target.Length - 1),
                },
                cancellationToken).ConfigureAwait(false);
            var got = await response.ResponseStream.ReadAtLeastAsync(target, target.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
            if (got != target.Length)
            {
                throw new HdsBackendUnavailableException("The S3 endpoint ended the response before the requested range was complete.");
            }
        }
        catch (Exception ex) when (S3Errors.Map(ex, cancellationToken) is var mapped && mapped != ex)
        {
            throw mapped;
        }
    }

    public override async Task<BackendObjectHead> HeadAsync(string key, string? versionId, CancellationToken cancellationToken)
    {
        try
        {
            var r = await _s3.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = _options.Bucket, Key = key, VersionId = versionId }, cancellationToken)
                .ConfigureAwait(false);
            return ToHead(key, r.VersionId, r.ContentLength, r.LastModified, r.Headers.ContentType, r.Metadata, r.ObjectLockMode,
                r.ObjectLockRetainUntilDate, r.ObjectLockLegalHoldStatus, r.ETag);
        }
        catch (Exception ex) when (S3Errors.Map(ex, cancellationToken) is var mapped && mapped != ex)
        {
            throw mapped;
        }
    }

    public override async Task<BackendListPage> ListAsync(string prefix, string? continuationToken, int pageSize, CancellationToken cancellationToken)
    {
        try
        {
            var r = await _s3.ListObjectsV2Async(
                new ListObjectsV2Request { BucketName = _options.Bucket, Prefix = prefix, ContinuationToken = continuationToken, MaxKeys = pageSize },
                cancellationToken).ConfigureAwait(false);
            var items = (r.S3Objects ?? []).Select(o => new ObjectItem(o.Key, o.Size ?? 0, ToOffset(o.LastModified))).ToList();
            return new BackendListPage(items, r.IsTruncated == true ? r.NextContinuationToken : null);
        }
        catch (Exception ex) when (S3Errors.Map(ex, cancellationToken) is var mapped && mapped != ex)
        {
            throw mapped;
        }
    }

    public override async Task<IReadOnlyList<BackendVersion>> ListVersionsAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            var result = new List<BackendVersion>();
            var request = new ListVersionsRequest { BucketName = _options.Bucket, Prefix = key };
            while (true)
            {
                var r = await _s3.ListVersionsAsync(request, cancellationToken).ConfigureAwait(false);
                result.AddRange((r.Versions ?? [])
                    .Where(v => string.Equals(v.Key, key, StringComparison.Ordinal))
                    .Select(v => new BackendVersion(v.Key, v.VersionId, v.IsLatest == true, v.IsDeleteMarker == true, v.Size ?? 0, ToOffset(v.LastModified))));
                if (r.IsTruncated != true)
                {
                    break;
                }

                request.KeyMarker = r.NextKeyMarker;
                request.VersionIdMarker = r.NextVersionIdMarker;
            }

            return result.OrderByDescending(v => v.LastModified).ThenByDescending(v => v.IsLatest).ToList();
        }
        catch (Exception ex) when (S3Errors.Map(ex, cancellationToken) is var mapped && mapped != ex)
        {
            throw mapped;
        }
    }

    public override async Task<string> DeleteAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            var r = await _s3.DeleteObjectAsync(new DeleteObjectRequest { BucketName = _options.Bucket, Key = key }, cancellationToken).ConfigureAwait(false);
            return RequireVersionId(r.VersionId);
        }
        catch (Exception ex) when (S3Errors.Map(ex, cancellationToken) is var mapped && mapped != ex)
        {
            throw mapped;
        }
    }

    public override async Task DeleteVersionAsync(string key, string versionId, CancellationToken cancellationToken)
    {
        try
        {
            await _s3.DeleteObjectAsync(new DeleteObjectRequest { BucketName = _options.Bucket, Key = key, VersionId = versionId }, cancellationToken)
                .ConfigureAwait(false);
        }
        catch (Exception ex) when (S3Errors.Map(ex, cancellationToken) is var mapped && mapped != ex)
        {
            throw mapped;
        }
    }

    public override async Task SetLegalHoldAsync(string key, string versionId, bool enabled, CancellationToken cancellationToken)
    {
        try
        {
            await _s3.PutObjectLegalHoldAsync(
                new PutObjectLegalHoldRequest
                {
                    BucketName = _options.Bucket,
                    Key = key,
                    VersionId = versionId,
                    LegalHold = new ObjectLockLegalHold { Status = enabled ? ObjectLockLegalHoldStatus.On : ObjectLockLegalHoldStatus.Off },
                },
                cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (S3Errors.Map(ex, cancellationToken) is var mapped && mapped != ex)
        {
            throw mapped;
        }
    }

    public override async Task SetRetentionAsync(string key, string versionId, RetentionMode mode, DateTimeOffset retainUntil, CancellationToken cancellationToken)
    {
        try
        {
            await _s3.PutObjectRetentionAsync(
                new PutObjectRetentionRequest
                {
                    BucketName = _options.Bucket,
                    Key = key,
                    VersionId = versionId,
                    Retention = new ObjectLockRetention
                    {
                        Mode = mode == RetentionMode.Governance ? ObjectLockRetentionMode.Governance : ObjectLockRetentionMode.Compliance,
                        RetainUntilDate = retainUntil.UtcDateTime,
                    },
                },
                cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == System.Net.HttpStatusCode.Forbidden)
        {
            // Shortening or weakening a lock: refused by the server.
            throw new HdsObjectLockedException("The storage refused to shorten or weaken the version's retention.", ex);
        }
        catch (Exception ex) when (S3Errors.Map(ex, cancellationToken) is var mapped && mapped != ex)
        {
            throw mapped;
        }
    }

    public override ValueTask DisposeAsync()
    {
        _s3.Dispose();
        return ValueTask.CompletedTask;
    }

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
    private (bool? DisablePayloadSigning, string? ChecksumSha256) BodyDigest(ReadOnlySpan<byte> data) =>
        _options.ServiceUrl!.Scheme == Uri.UriSchemeHttps ? (true, Convert.ToBase64String(SHA256.HashData(data))) : (null, null);

    private static MemoryStream AsStream(ReadOnlyMemory<byte> data) =>
        System.Runtime.InteropServices.MemoryMarshal.TryGetArray(data, out var segment)
            ? new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false)
            : new MemoryStream(data.ToArray(), writable: false);

    private static string RequireVersionId(string? versionId) =>
        string.IsNullOrEmpty(versionId) || versionId == "null"
            ? throw new HdsConfigurationException("The storage returned no version id: versioning is not enabled on the bucket. Use a bucket created with object lock.")
            : versionId;

    private static void AddMetadata(MetadataCollection target, IReadOnlyDictionary<string, string> metadata)
    {
        foreach (var (name, value) in metadata)
        {
            target.Add(name, value);
        }
    }

    private static void ApplyLock(PutObjectRequest put, RetentionInfo retention)
    {
        if (retention.Mode != RetentionMode.None)
        {
            put.ObjectLockMode = ToLockMode(retention.Mode);
            put.ObjectLockRetainUntilDate = retention.RetainUntil!.Value.UtcDateTime;
        }

        if (retention.LegalHold)
        {
            put.ObjectLockLegalHoldStatus = ObjectLockLegalHoldStatus.On;
        }
    }

    private static ObjectLockMode ToLockMode(RetentionMode mode) => mode == RetentionMode.Governance ? ObjectLockMode.Governance : ObjectLockMode.Compliance;

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

        var retentionMode = mode is null ? RetentionMode.None
            : mode == ObjectLockMode.Compliance ? RetentionMode.Compliance
            : mode == ObjectLockMode.Governance ? RetentionMode.Governance
            : RetentionMode.None;
        var retention = new RetentionInfo(retentionMode, retainUntil is null ? null : ToOffset(retainUntil), legalHold == ObjectLockLegalHoldStatus.On);
        return new BackendObjectHead(key, RequireVersionId(versionId), length, ToOffset(lastModified), contentType, meta, retention, etag);
    }
}
