using System.Buffers;
using System.Security.Cryptography;
using Amazon.S3;
using Amazon.S3.Model;

namespace Hds.Storage.Benchmarks.E2e;

/// <summary>
/// The baseline: AWSSDK.S3 used directly, with the client settings Hds.Storage uses (WHEN_REQUIRED checksums, path style), Content-MD5
/// on every body and object-lock headers on every write, the same part size and the same concurrency; no encryption, no digests of
/// its own, no retention check, no audit. The SDK computes the SigV4 payload SHA-256 of each body; like Hds.Storage it sends bodies
/// without aws-chunked streaming signatures unless <c>chunked</c> (the SDK's default) is asked for.
/// </summary>
internal sealed class RawS3(AmazonS3Client s3, string bucket, int partSize, int concurrency, bool chunked = false)
{
    private static readonly DateTime RetainUntil = DateTime.UtcNow.AddDays(1);

    public AmazonS3Client Client => s3;

    public async Task PutLargeAsync(string key, long length)
    {
        var upload = await s3.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest
        {
            BucketName = bucket,
            Key = key,
            ObjectLockMode = ObjectLockMode.Governance,
            ObjectLockRetainUntilDate = RetainUntil,
        }).ConfigureAwait(false);
        var parts = (int)((length + partSize - 1) / partSize);
        var etags = new PartETag[parts];
        using var slots = new SemaphoreSlim(concurrency);
        var tasks = new List<Task>();
        for (var i = 0; i < parts; i++)
        {
            await slots.WaitAsync().ConfigureAwait(false);
            var number = i + 1;
            var offset = (long)i * partSize;
            var size = (int)Math.Min(partSize, length - offset);
            var buffer = ArrayPool<byte>.Shared.Rent(partSize);
            PatternStream.Fill(offset, buffer.AsSpan(0, size)); // the source read (a memcpy here, as for Hds.Storage)
            tasks.Add(Task.Run(async () =>
            {
                try
                {
                    using var stream = new MemoryStream(buffer, 0, size, writable: false);
                    var response = await s3.UploadPartAsync(new UploadPartRequest
                    {
                        BucketName = bucket,
                        Key = key,
                        UploadId = upload.UploadId,
                        PartNumber = number,
                        InputStream = stream,
                        PartSize = size,
                        MD5Digest = Convert.ToBase64String(MD5.HashData(buffer.AsSpan(0, size))),
                        UseChunkEncoding = chunked,
                    }).ConfigureAwait(false);
                    etags[number - 1] = new PartETag(number, response.ETag);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    slots.Release();
                }
            }));
        }

        await Task.WhenAll(tasks).ConfigureAwait(false);
        await s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
        {
            BucketName = bucket,
            Key = key,
            UploadId = upload.UploadId,
            PartETags = [.. etags],
        }).ConfigureAwait(false);
    }

    /// <summary>Part-sized ranges fetched <c>concurrency</c> at a time into pooled buffers (the same strategy as Hds.Storage).</summary>
    public async Task<long> GetLargeAsync(string key, long length)
    {
        using var slots = new SemaphoreSlim(concurrency);
        var tasks = new List<Task<long>>();
        for (long offset = 0; offset < length; offset += partSize)
        {
            await slots.WaitAsync().ConfigureAwait(false);
            var from = offset;
            var size = (int)Math.Min(partSize, length - offset);
            tasks.Add(Task.Run(async () =>
            {
                var buffer = ArrayPool<byte>.Shared.Rent(partSize);
                try
                {
                    using var response = await s3.GetObjectAsync(new GetObjectRequest
                    {
                        BucketName = bucket,
                        Key = key,
                        ByteRange = new ByteRange(from, from + size - 1),
                    }).ConfigureAwait(false);
                    return (long)await response.ResponseStream.ReadAtLeastAsync(buffer.AsMemory(0, size), size, throwOnEndOfStream: true).ConfigureAwait(false);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    slots.Release();
                }
            }));
        }

        return (await Task.WhenAll(tasks).ConfigureAwait(false)).Sum();
    }

    /// <summary>One GetObject read to its end: what a plain SDK user does.</summary>
    public async Task<long> GetSingleAsync(string key, long? offset = null, int? length = null)
    {
        var request = new GetObjectRequest { BucketName = bucket, Key = key };
        if (offset is { } o && length is { } l)
        {
            request.ByteRange = new ByteRange(o, o + l - 1);
        }

        using var response = await s3.GetObjectAsync(request).ConfigureAwait(false);
        return await Drain.ReadAllAsync(response.ResponseStream).ConfigureAwait(false);
    }

    public async Task PutSmallAsync(string key, byte[] data)
    {
        using var stream = new MemoryStream(data, writable: false);
        await s3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = bucket,
            Key = key,
            InputStream = stream,
            AutoCloseStream = false,
            MD5Digest = Convert.ToBase64String(MD5.HashData(data)),
            ObjectLockMode = ObjectLockMode.Governance,
            ObjectLockRetainUntilDate = RetainUntil,
            UseChunkEncoding = chunked,
        }).ConfigureAwait(false);
    }

    /// <summary>Diagnosis (<c>--raw-head</c>): a small put followed by the HEAD that Hds.Storage sends to prove the lock.</summary>
    public async Task PutSmallAndHeadAsync(string key, byte[] data)
    {
        await PutSmallAsync(key, data).ConfigureAwait(false);
        await s3.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = bucket, Key = key }).ConfigureAwait(false);
    }

    /// <summary>Removes every version under <paramref name="prefix"/> (GOVERNANCE lock, bypassed: benchmark data only).</summary>
    public async Task DeleteAllAsync(string prefix)
    {
        var versions = await s3.ListVersionsAsync(new ListVersionsRequest { BucketName = bucket, Prefix = prefix }).ConfigureAwait(false);
        foreach (var v in versions.Versions ?? [])
        {
            await s3.DeleteObjectAsync(new DeleteObjectRequest { BucketName = bucket, Key = v.Key, VersionId = v.VersionId, BypassGovernanceRetention = true })
                .ConfigureAwait(false);
        }
    }
}

internal static class Drain
{
    public static async Task<long> ReadAllAsync(Stream stream)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(1024 * 1024);
        try
        {
            long total = 0;
            int n;
            while ((n = await stream.ReadAsync(buffer).ConfigureAwait(false)) > 0)
            {
                total += n;
            }

            return total;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
