using System.Security.Cryptography;
using Hds.Storage.Access;
using Hds.Storage.Backends;
using Hds.Storage.Backends.S3.Sites;
using Hds.Storage.Diagnostics;
using Hds.Storage.Encryption;
using Hds.Storage.IO;
using Hds.Storage.Locking;
using Hds.Storage.Models;
using Hds.Storage.Objects;
using Hds.Storage.Pipeline;
using Hds.Storage.Retention;
using Microsoft.Extensions.Logging;

namespace Hds.Storage.Operations;

/// <summary>
/// What the object verbs do once the pipeline has resolved, authorized and opened their operation (issue 15: domain logic in its
/// own types, the client a shell): put (announce, encode, store, lock, confirm), get (whole or ranged), verify, properties, list,
/// versions and delete. Each receives its <see cref="OperationContext"/> and passes it to every part below; the bucket is checked
/// (<see cref="BucketGate"/>) before the first I/O. Built once per client by <see cref="ClientComposition"/>.
/// </summary>
internal sealed class ObjectOperations(
    StorageBackend backend, ContentCodec codec, RetentionPolicy retention, BucketGate bucketGate, LockedWriter lockedWriter, OperationRecorder recorder,
    TimeProvider time, ILogger logger)
{
    private readonly StorageBackend _backend = backend;
    private readonly ContentCodec _codec = codec;
    private readonly RetentionPolicy _retention = retention;
    private readonly LockedWriter _lockedWriter = lockedWriter;
    private readonly BucketGate _bucketGate = bucketGate;
    private readonly OperationRecorder _recorder = recorder;
    private readonly RangedReader _rangedReader = new(backend, codec);
    private readonly TimeProvider _time = time;
    private readonly ILogger _logger = logger;

    /// <summary>What the bucket has (versioning, object lock), and whether the metadata master answers for it.</summary>
    public async Task<HdsBucketCompliance> CheckBucketAsync(OperationContext operation, CancellationToken cancellationToken) =>
        await _backend.CheckMetadataMasterAsync(await _backend.CheckBucketAsync(operation, cancellationToken).ConfigureAwait(false), operation, cancellationToken)
            .ConfigureAwait(false);

    public async Task<HdsStorageReceipt> PutAsync(string key, Stream content, HdsPutOptions? options, OperationContext operation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        var context = operation.Access;
        ObjectKeys.Validate(key);
        var contentType = ValidateContentType(options?.ContentType);
        var (className, retention) = _retention.Resolve(options?.RetentionClass);
        var acknowledgement = options?.AcknowledgementSites ?? _backend.DefaultAcknowledgementSites;
        if (acknowledgement < 1 || acknowledgement > _backend.SiteCount)
        {
            throw new HdsInvalidRequestException(
                $"AcknowledgementSites must be between 1 and the number of storage sites ({_backend.SiteCount}); nothing was written.");
        }

        await EnsureBucketAsync(operation, cancellationToken).ConfigureAwait(false);

        var physical = ObjectKeys.ToPhysical(context.Tenant, key);
        var encoder = await _codec.CreateEncoderAsync(new ContentSourceStream(content), new ObjectIdentity(context.Tenant, key), cancellationToken).ConfigureAwait(false);
        await using (encoder.ConfigureAwait(false))
        {
            var metadata = new Dictionary<string, string>(encoder.Metadata, StringComparer.Ordinal)
            {
                [MetadataNames.RetentionClass] = className,
                [MetadataNames.Writer] = context.ActorId,
            };
            if (_recorder.AnnounceWrite(physical, key, operation) is { } intent)
            {
                metadata[MetadataNames.AuditIntent] = intent;
            }

            var written = await _backend.PutAsync(new BackendWriteRequest(physical, contentType, metadata, retention), encoder, operation, cancellationToken)
                .ConfigureAwait(false);
            // What the storage answered goes into the operation's audit record, even when the write then fails (lock not verified).
            operation.NoteSite(written.Site, written.FoundAfterLostAnswer);
            operation.WrittenVersionId = written.VersionId;
            // An encoder not sealed counts as a length mismatch: the version is removed and the write refused.
            var head = await _lockedWriter.EnsureLockedAsync(physical, written, encoder.Seal?.StoredLength ?? -1, retention, operation, cancellationToken).ConfigureAwait(false);
            var seal = encoder.Seal!;
            var (locked, lastModified) = (head.Retention, head.LastModified);
            if (seal.WriteWindow is { } window && !WriteBinding.IsWithin(window, lastModified))
            {
                // Locked already, so it stays stored; without a receipt the caller retries, and readers refuse this version.
                throw new HdsIntegrityException(
                    "The storage dated the version outside the write's time window (clock skew over 15 minutes between this host and the storage?): "
                    + "it would be refused on read, so no receipt is given. Fix the clocks and retry the write.");
            }

            Log.Stored(_logger, written.StoredLength, locked.Mode, locked.RetainUntil!.Value);
            var confirmed = await _backend.ConfirmOnSitesAsync(
                physical, written.VersionId, written.StoredLength, retention, written.Site ?? "default", acknowledgement, operation, cancellationToken).ConfigureAwait(false);
            var receipt = new HdsStorageReceipt
            {
                Key = key,
                VersionId = written.VersionId,
                Size = seal.PlaintextLength,
                StoredSize = seal.StoredLength,
                Sha256 = Convert.ToHexStringLower(seal.PlaintextSha256),
                KeyId = seal.KeyId,
                FormatVersion = seal.FormatVersion,
                WriteId = seal.WriteId,
                RetentionClass = className,
                RetentionMode = locked.Mode,
                RetainUntil = locked.RetainUntil!.Value,
                LegalHold = locked.LegalHold,
                CreatedAt = _time.GetUtcNow(),
                Writer = context.ActorId,
                ConfirmedSites = confirmed,
            };
            return confirmed.Count >= acknowledgement ? receipt : throw new HdsNotGeoDurableException(receipt, acknowledgement);
        }
    }

    public async Task<HdsDownload> GetAsync(string key, HdsGetOptions? options, OperationContext operation, CancellationToken cancellationToken)
    {
        var context = operation.Access;
        ObjectKeys.Validate(key);
        ObjectKeys.ValidateVersionId(options?.VersionId);
        await EnsureBucketAsync(operation, cancellationToken).ConfigureAwait(false);
        if (options?.Range is { } range)
        {
            return await _rangedReader.ReadAsync(operation, key, options.VersionId, range, cancellationToken).ConfigureAwait(false);
        }

        var read = await _backend.GetAsync(ObjectKeys.ToPhysical(context.Tenant, key), options?.VersionId, null, operation, cancellationToken).ConfigureAwait(false);
        operation.NoteSite(read.Site);
        try
        {
            StoredVersions.RequireVersion(options?.VersionId, read.Head);
            var decoder = await _codec.CreateDecoderAsync(read.Body, new ObjectIdentity(context.Tenant, key), StoredVersions.Of(read.Head), cancellationToken)
                .ConfigureAwait(false);
            return new HdsDownload(decoder, StoredVersions.ToProperties(key, read.Head));
        }
        catch
        {
            await read.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public async Task<HdsVerificationResult> VerifyAsync(string key, HdsVerifyOptions? options, OperationContext operation, CancellationToken cancellationToken)
    {
        var receipt = options?.Receipt;
        if (receipt is not null && !string.Equals(receipt.Key, key, StringComparison.Ordinal))
        {
            throw new HdsInvalidRequestException("The receipt is for another object key.");
        }

        if (receipt is not null && options?.VersionId is { } asked && !string.Equals(asked, receipt.VersionId, StringComparison.Ordinal))
        {
            // A usage mistake, not corruption: nothing was read (monitoring must not page anyone for data damage).
            throw new HdsInvalidRequestException("The version asked for is not the receipt's version: give one of them (the receipt names its version).");
        }

        var versionId = options?.VersionId ?? receipt?.VersionId;
        // The read is part of this operation (authorized, audited and traced as the Verify): its core, under the same context.
        var download = await GetAsync(key, new HdsGetOptions { VersionId = versionId, Context = options?.Context }, operation, cancellationToken).ConfigureAwait(false);
        await using (download.ConfigureAwait(false))
        {
            var decoder = (ContentDecoder)download.Content;
            await decoder.CopyToAsync(Stream.Null, cancellationToken).ConfigureAwait(false);
            var seal = decoder.Seal ?? throw new HdsIntegrityException("The stored object ended before its seal.");
            if (receipt is not null)
            {
                var expected = Convert.FromHexString(receipt.Sha256);
                var differ = new List<string>();
                if (!string.Equals(receipt.VersionId, download.Properties.VersionId, StringComparison.Ordinal))
                {
                    differ.Add("version id");
                }

                if (receipt.Size != seal.PlaintextLength)
                {
                    differ.Add("length");
                }

                if (receipt.FormatVersion != seal.FormatVersion)
                {
                    differ.Add("format");
                }

                if (receipt.KeyId is not null && !string.Equals(receipt.KeyId, seal.KeyId, StringComparison.Ordinal))
                {
                    differ.Add("key id");
                }

                if (receipt.WriteId is not null && !string.Equals(receipt.WriteId, seal.WriteId, StringComparison.Ordinal))
                {
                    differ.Add("write id");
                }

                if (!CryptographicOperations.FixedTimeEquals(expected, seal.PlaintextSha256))
                {
                    differ.Add("SHA-256");
                }

                if (differ.Count > 0)
                {
                    throw new HdsIntegrityException($"The stored version does not match the receipt: {string.Join(", ", differ)} differ(s).");
                }

                if (download.Properties.Retention.RetainUntil is not { } until || until + HdsRetentionInfo.Tolerance < receipt.RetainUntil)
                {
                    throw new HdsIntegrityException("The stored version's retention is shorter than the receipt's.");
                }
            }

            // The duplicate report needs a version listing: a credential without that right, or a server without it, still gets the
            // verification it asked for (the content verified), with a warning instead of the report.
            IReadOnlyList<string> duplicates = [];
            try
            {
                duplicates = await DuplicateWrites.OfAsync(
                    _backend, ObjectKeys.ToPhysical(operation.Access.Tenant, key), download.Properties.VersionId, operation, cancellationToken).ConfigureAwait(false);
            }
            catch (HdsStorageException ex) when (ex is not HdsIntegrityException)
            {
                Log.DuplicatesNotListed(_logger, ex.ErrorCode);
            }

            return new HdsVerificationResult(key, download.Properties.VersionId, seal.PlaintextLength, Convert.ToHexStringLower(seal.PlaintextSha256), download.Properties)
            {
                DuplicateVersionIds = duplicates,
            };
        }
    }

    public async Task<HdsObjectProperties> GetPropertiesAsync(string key, string? versionId, OperationContext operation, CancellationToken cancellationToken)
    {
        var context = operation.Access;
        ObjectKeys.Validate(key);
        ObjectKeys.ValidateVersionId(versionId);
        await EnsureBucketAsync(operation, cancellationToken).ConfigureAwait(false);
        var head = await _backend.HeadAsync(ObjectKeys.ToPhysical(context.Tenant, key), versionId, operation, cancellationToken).ConfigureAwait(false);
        return StoredVersions.ToProperties(key, head);
    }

    public async Task<HdsObjectPage> ListAsync(string? prefix, HdsListOptions? options, string? continuationToken, OperationContext operation, CancellationToken cancellationToken)
    {
        var context = operation.Access;
        ObjectKeys.ValidatePrefix(prefix);
        var pageSize = options?.PageSize ?? 1000;
        if (pageSize is < 1 or > 1000)
        {
            throw new HdsInvalidRequestException("The page size must be between 1 and 1000.");
        }

        await EnsureBucketAsync(operation, cancellationToken).ConfigureAwait(false);
        var tenantPrefix = ObjectKeys.TenantPrefix(context.Tenant);
        var page = await _backend.ListAsync(tenantPrefix + prefix, continuationToken, pageSize, operation, cancellationToken).ConfigureAwait(false);
        var items = page.Items.Select(i => i with { Key = ObjectKeys.ToLogical(context.Tenant, i.Key) }).ToList();
        return new HdsObjectPage(items, page.ContinuationToken);
    }

    public async Task<IReadOnlyList<HdsObjectVersionItem>> GetVersionsAsync(string key, OperationContext operation, CancellationToken cancellationToken)
    {
        var context = operation.Access;
        ObjectKeys.Validate(key);
        await EnsureBucketAsync(operation, cancellationToken).ConfigureAwait(false);
        var physical = ObjectKeys.ToPhysical(context.Tenant, key);
        var versions = await DuplicateWrites.PresentOneAsync(
            _backend, physical, await _backend.ListVersionsAsync(physical, operation, cancellationToken).ConfigureAwait(false), operation, cancellationToken)
            .ConfigureAwait(false);
        return versions.Select(v => new HdsObjectVersionItem(key, v.VersionId, v.IsLatest, v.IsDeleteMarker, v.StoredLength, v.LastModified)).ToList();
    }

    public async Task<HdsDeleteResult> DeleteAsync(string key, OperationContext operation, CancellationToken cancellationToken)
    {
        var context = operation.Access;
        ObjectKeys.Validate(key);
        await EnsureBucketAsync(operation, cancellationToken).ConfigureAwait(false);
        var physical = ObjectKeys.ToPhysical(context.Tenant, key);

        // S3 adds a delete marker even for a key that never existed; refuse that so a typo is not recorded as a deletion.
        await _backend.HeadAsync(physical, null, operation, cancellationToken).ConfigureAwait(false);
        var marker = await _backend.DeleteAsync(physical, operation, cancellationToken).ConfigureAwait(false);
        return new HdsDeleteResult(key, marker);
    }

    private static string ValidateContentType(string? contentType)
    {
        if (string.IsNullOrEmpty(contentType))
        {
            return "application/octet-stream";
        }

        // type/subtype only: parameters (name=..., filename=...) are stored unencrypted as metadata and could carry a patient's name.
        if (contentType.Length > 128 || contentType.Count(c => c == '/') != 1 || contentType[0] == '/' || contentType[^1] == '/'
            || !contentType.All(c => char.IsAsciiLetterOrDigit(c) || c is '/' or '.' or '+' or '-' or '_'))
        {
            throw new HdsInvalidRequestException("The content type must be a MIME type/subtype of at most 128 characters without parameters, for example application/pdf.");
        }

        return contentType;
    }

    private Task EnsureBucketAsync(OperationContext operation, CancellationToken cancellationToken) => _bucketGate.EnsureAsync(operation, cancellationToken);
}
