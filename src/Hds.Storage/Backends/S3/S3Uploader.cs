using System.Buffers;
using System.Security.Cryptography;
using Amazon.S3;
using Amazon.S3.Model;
using Hds.Storage.Access;
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
internal sealed partial class S3Uploader
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
