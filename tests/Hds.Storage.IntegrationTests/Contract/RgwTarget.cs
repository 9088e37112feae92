using Amazon.S3;
using Amazon.S3.Model;
using Hds.Storage.IntegrationTests.Infrastructure;
using Hds.Storage.Retention;
using Hds.Storage.Models;

namespace Hds.Storage.IntegrationTests.Contract;

/// <summary>A fresh object-lock bucket on the real Ceph RGW, checked through a plain AWS SDK client.</summary>
public sealed class RgwTarget(S3Server server) : StorageTarget
{
    private readonly string _spool = Path.Combine(Path.GetTempPath(), "hds-rgw-spool-" + Guid.NewGuid().ToString("N"));
    private string? _bucket;

    public override string Name => "rgw";

    public string Bucket => _bucket ?? throw new InvalidOperationException("Call InitializeAsync first.");

    public async Task InitializeAsync() => _bucket = await server.CreateBucketAsync();

    public override HdsStorageClient CreateClient(Action<HdsStorageOptions>? configure = null)
    {
        var options = new HdsStorageOptions { S3 = server.Options(Bucket) };
        options.Audit.SpoolDirectory = _spool;
        ContractDefaults.Apply(options);
        configure?.Invoke(options);
        return new HdsStorageClient(options);
    }

    public override async Task<HdsStorageClient> CreateNonCompliantClientAsync()
    {
        var bucket = await server.CreateBucketAsync(objectLock: false);
        var options = new HdsStorageOptions { S3 = server.Options(bucket) };
        TestCertificates.Apply(options);
        options.Audit.SpoolDirectory = _spool;
        return new HdsStorageClient(options);
    }

    public override async Task<HdsRetentionInfo> ReadLockDirectlyAsync(string physicalKey, string versionId)
    {
        using var s3 = server.PlainClient();
        var retention = await s3.GetObjectRetentionAsync(new GetObjectRetentionRequest { BucketName = Bucket, Key = physicalKey, VersionId = versionId });
        var held = false;
        try
        {
            var hold = await s3.GetObjectLegalHoldAsync(new GetObjectLegalHoldRequest { BucketName = Bucket, Key = physicalKey, VersionId = versionId });
            held = hold.LegalHold?.Status == ObjectLockLegalHoldStatus.On;
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            // RGW answers 404 when no legal hold was ever set on the version.
        }

        var mode = retention.Retention?.Mode == ObjectLockRetentionMode.Compliance ? HdsRetentionMode.Compliance
            : retention.Retention?.Mode == ObjectLockRetentionMode.Governance ? HdsRetentionMode.Governance : HdsRetentionMode.None;
        DateTimeOffset? until = retention.Retention?.RetainUntilDate is { } d ? new DateTimeOffset(d.ToUniversalTime()) : null;
        return new HdsRetentionInfo(mode, until, held);
    }

    public override async Task<bool> TryDestroyVersionDirectlyAsync(string physicalKey, string versionId)
    {
        using var s3 = server.PlainClient();
        try
        {
            await s3.DeleteObjectAsync(new DeleteObjectRequest { BucketName = Bucket, Key = physicalKey, VersionId = versionId });
            return false;
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == System.Net.HttpStatusCode.Forbidden)
        {
            return true;
        }
    }

    public override async Task<byte[]> ReadStoredBytesDirectlyAsync(string physicalKey, string versionId)
    {
        using var s3 = server.PlainClient();
        using var response = await s3.GetObjectAsync(new GetObjectRequest { BucketName = Bucket, Key = physicalKey, VersionId = versionId });
        return await TestContent.ReadAllAsync(response.ResponseStream);
    }

    public override async Task WriteVersionDirectlyAsync(string physicalKey, string templateVersionId, byte[] stored)
    {
        using var s3 = server.PlainClient();
        var head = await s3.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = Bucket, Key = physicalKey, VersionId = templateVersionId });
        var put = new PutObjectRequest
        {
            BucketName = Bucket,
            Key = physicalKey,
            InputStream = new MemoryStream(stored),
            MD5Digest = Convert.ToBase64String(System.Security.Cryptography.MD5.HashData(stored)),
            ObjectLockMode = ObjectLockMode.Compliance,
            ObjectLockRetainUntilDate = DateTime.UtcNow.AddDays(1),
        };
        foreach (var name in head.Metadata.Keys)
        {
            put.Metadata.Add(name, head.Metadata[name]);
        }

        await s3.PutObjectAsync(put);
    }

    public override async Task<int> PendingMultipartUploadsAsync()
    {
        using var s3 = server.PlainClient();
        var uploads = await s3.ListMultipartUploadsAsync(new ListMultipartUploadsRequest { BucketName = Bucket });
        return uploads.MultipartUploads?.Count ?? 0;
    }

    internal override Backends.StorageBackend OpenBackend() =>
        new Backends.S3.S3Backend(server.Options(Bucket), Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);

    public override ValueTask DisposeAsync()
    {
        if (Directory.Exists(_spool))
        {
            Directory.Delete(_spool, recursive: true);
        }

        return ValueTask.CompletedTask;
    }
}
