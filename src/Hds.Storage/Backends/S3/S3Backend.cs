using Amazon.S3;
using Amazon.S3.Model;
using Hds.Storage.Access;
using Hds.Storage.Models;
using Hds.Storage.Backends.S3.Sites;
using Microsoft.Extensions.Logging;

namespace Hds.Storage.Backends.S3;

/// <summary>
/// S3 backend over AWSSDK.S3, configured for StorageGRID and Ceph RGW (see ../shared/S3-BACKENDS.md): the verbs of
/// <see cref="StorageBackend"/>, each one call (or a few) through <see cref="CallAsync{T}"/>, the one error-mapping call
/// (<see cref="S3Errors.GuardAsync{T}"/>). Writes go through the <see cref="S3Uploader"/> (one PUT or parallel parts, checksums
/// sent as plain headers, pooled buffers), which lands each at most once (<see cref="WriteAtMostOnce"/>); the clients and their one
/// HTTP stack per site come from <see cref="S3ClientFactory"/>.
/// Every S3 call goes through the <see cref="SiteRouter"/>, which picks the site and fails over per call: the parts of one
/// multipart upload may go to different sites' gateways, and a read that breaks resumes on another site.
/// </summary>
internal sealed class S3Backend : StorageBackend
{
    private readonly SiteRouter _sites;
    private readonly HdsS3StorageOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly S3Uploader _uploader;

    // Read-your-writes memory, when asked for (HdsS3StorageOptions.ReadYourWrites).
    private readonly WrittenVersions? _written;

    public S3Backend(HdsS3StorageOptions options, ILogger logger, TimeProvider? timeProvider = null)
    {
        _options = options;
        _logger = logger;
        _time = timeProvider ?? TimeProvider.System;
        _sites = new SiteRouter(options, _time, logger);
        _uploader = new S3Uploader(_sites, options, _time, logger);
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
        var written = await _uploader.PutAsync(request, body, operation, cancellationToken).ConfigureAwait(false);
        _written?.Remember(request.Key, written.VersionId);
        return written;
    }

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
            head = S3Answers.ToHead(key, response, ranged);
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
                    await ServedLock.EnsureAsync(_options.Bucket, site, S3Answers.ToHead(key, response, ranged: true), _logger, operation, ct).ConfigureAwait(false);
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
            var head = S3Answers.ToHead(key, r.VersionId, r.ContentLength, r.LastModified, r.Headers.ContentType, r.Metadata, r.ObjectLockMode,
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
        var items = (r.S3Objects ?? []).Select(o => new HdsObjectItem(o.Key, o.Size ?? 0, S3Answers.ToOffset(o.LastModified))).ToList();
        return new BackendListPage(items, r.IsTruncated == true ? r.NextContinuationToken : null);
    }

    public override Task<IReadOnlyList<BackendVersion>> ListVersionsAsync(string key, OperationContext? operation, CancellationToken cancellationToken) =>
        CallAsync(SiteAccess.Read, (site, ct) => S3VersionListings.ListVersionsOnAsync(site.Client, _options.Bucket, key, operation, ct), cancellationToken);

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
                async (site, ct) => await S3VersionListings.ListVersionsOnAsync(site.Client, _options.Bucket, key, operation, ct).ConfigureAwait(false) is { Count: > 0 } found ? found : null,
                _options.ReplicationLagTimeout, _options.RequestTimeout, _time, _logger, cancellationToken).ConfigureAwait(false) ?? [],
            cancellationToken).ConfigureAwait(false);
    }

    public override Task<IReadOnlyList<BackendVersion>> ListHistoryAsync(string prefix, OperationContext? operation, CancellationToken cancellationToken) =>
        CallAsync(SiteAccess.Read, (site, ct) => S3VersionListings.ListHistoryOnAsync(site.Client, _options.Bucket, prefix, operation, ct), cancellationToken);

    public override async Task<string> DeleteAsync(string key, OperationContext? operation, CancellationToken cancellationToken)
    {
        // A delete marker whose answer was lost and is added again hides the same versions: harmless, and visible in the versions.
        var sentAt = _time.GetUtcNow();
        var r = await CallAsync(
            SiteAccess.Write,
            (site, ct) => site.Client.DeleteObjectAsync(ContextHeaders.On(new DeleteObjectRequest { BucketName = _options.Bucket, Key = key }, operation), ct),
            cancellationToken)
            .ConfigureAwait(false);
        var marker = S3Answers.RequireVersionId(r.VersionId);
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
}
