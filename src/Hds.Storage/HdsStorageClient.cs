using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using Hds.Storage.Access;
using Hds.Storage.Audit;
using Hds.Storage.Backends;
using Hds.Storage.Diagnostics;
using Hds.Storage.Encryption;
using Hds.Storage.IO;
using Hds.Storage.Keys;
using Hds.Storage.Locking;
using Hds.Storage.Models;
using Hds.Storage.Objects;
using Hds.Storage.Retention;
using Hds.Storage.Backends.S3.Sites;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Hds.Storage;

/// <summary>
/// The one entry point of Hds.Storage: stores and reads health documents with verified integrity, enforced object lock and an
/// access context on every call. Thread-safe; create one per bucket and reuse it.
/// </summary>
/// <remarks>
/// Disposal is asynchronous only (<c>await using</c>, or a container disposed with <c>DisposeAsync</c>, as hosts do): it uploads
/// the pending audit records, a network call that a synchronous <c>Dispose</c> would block a thread on.
/// </remarks>
public partial class HdsStorageClient : IAsyncDisposable
{
    // Retain-until is compared with one second of slack: backends keep it to the second or the millisecond.
    private static readonly TimeSpan RetentionTolerance = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan HealthCheckBucketTimeout = TimeSpan.FromSeconds(5);

    private readonly StorageBackend _backend = null!;
    private readonly ContentCodec _codec = null!;
    private readonly RetentionPolicy _retention = null!;
    private readonly TimeProvider _time = TimeProvider.System;
    private readonly ILogger _logger = NullLogger.Instance;
    private readonly BucketGate _bucketGate = null!;
    private readonly LockedWriter _lockedWriter = null!;
    private int _disposed; // 1 once disposed: disposing again (using + explicit Dispose) does nothing, as .NET's guidelines ask
    private readonly AuditRuntime? _audit;

    private readonly RangedReader _rangedReader = null!;

    /// <summary>Creates a client.</summary>
    /// <param name="options">The settings; validated now.</param>
    /// <exception cref="HdsConfigurationException">The options are invalid.</exception>
    public HdsStorageClient(HdsStorageOptions options)
        : this(options, TimeProvider.System, null)
    {
    }

    /// <summary>Creates a client with a clock and logging.</summary>
    /// <param name="options">The settings; validated now.</param>
    /// <param name="timeProvider">The clock for retention dates and receipts.</param>
    /// <param name="loggerFactory">Where logs go; none when null.</param>
    /// <exception cref="HdsConfigurationException">The options are invalid.</exception>
    public HdsStorageClient(HdsStorageOptions options, TimeProvider timeProvider, ILoggerFactory? loggerFactory)
        : this(options, timeProvider, loggerFactory, decorateBackend: null)
    {
    }

    /// <summary>A client whose backend is wrapped (tests and harnesses observe or interrupt the storage calls).</summary>
    internal HdsStorageClient(HdsStorageOptions options, TimeProvider timeProvider, ILoggerFactory? loggerFactory, Func<StorageBackend, StorageBackend>? decorateBackend)
        : this(ClientComposition.Compose(options, timeProvider, loggerFactory, decorateBackend))
    {
    }

    /// <summary>A client over a given backend and codec (tests), composed like any other.</summary>
    internal HdsStorageClient(StorageBackend backend, ContentCodec codec, HdsStorageOptions options, TimeProvider timeProvider, ILogger? logger = null)
        : this(ClientComposition.Compose(options, timeProvider, null, backend: backend, codec: codec) is var parts && logger is not null ? parts with { Logger = logger } : parts)
    {
    }

    // The one constructor that keeps the parts; ClientComposition builds them.
    private HdsStorageClient(ClientParts parts)
    {
        _backend = parts.Backend;
        _codec = parts.Codec;
        KeyRing = parts.KeyRing;
        _retention = parts.Retention;
        _bucketGate = parts.BucketGate;
        _lockedWriter = parts.LockedWriter;
        _rangedReader = new RangedReader(parts.Backend, parts.Codec);
        _audit = parts.Audit;
        _time = parts.Time;
        _logger = parts.Logger;
    }

    /// <summary>
    /// The certificate-protected key ring, or <see langword="null"/> when key-encryption keys are held by a
    /// <see cref="HdsEncryptionOptions.KeyProvider"/>. Not public: callers list and change it through the key operations
    /// (HdsStorageClient.Keys.cs), which are authorized and audited.
    /// </summary>
    internal KeyRing? KeyRing { get; }

    /// <summary>The backend (tests and the health check reach the sites through it).</summary>
    internal StorageBackend Backend => _backend;

    /// <summary>
    /// For mocking: a derived class overrides the verbs it needs (results from <see cref="HdsStorageModelFactory"/>); the verbs it
    /// does not override throw <see cref="InvalidOperationException"/>, since no storage is behind it.
    /// </summary>
    protected HdsStorageClient()
    {
    }

    /// <summary>
    /// Checks that the bucket has versioning and object lock enabled, under the ambient access context. Every other operation
    /// checks it once before its first I/O.
    /// </summary>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <returns>What the bucket has; <see cref="HdsBucketCompliance.IsCompliant"/> says whether it can be used.</returns>
    /// <exception cref="HdsInvalidRequestException">The key, version, options or access context are malformed; nothing was read or written.</exception>
    /// <exception cref="HdsAccessDeniedException">The access policy refuses the operation to this context, or the storage refuses the credentials.</exception>
    /// <exception cref="HdsBackendUnavailableException">No storage site answered within the failover timeout; nothing partial was left.</exception>
    /// <exception cref="HdsAuditException">The operation's audit record could not be made durable (fail-closed).</exception>
    public virtual Task<HdsBucketCompliance> CheckBucketAsync(CancellationToken cancellationToken) =>
        CheckBucketAsync(null, cancellationToken);

    /// <summary>Checks that the bucket has versioning and object lock enabled.</summary>
    /// <param name="options">The access context.</param>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <returns>What the bucket has; <see cref="HdsBucketCompliance.IsCompliant"/> says whether it can be used.</returns>
    /// <exception cref="HdsInvalidRequestException">The key, version, options or access context are malformed; nothing was read or written.</exception>
    /// <exception cref="HdsAccessDeniedException">The access policy refuses the operation to this context, or the storage refuses the credentials.</exception>
    /// <exception cref="HdsBackendUnavailableException">No storage site answered within the failover timeout; nothing partial was left.</exception>
    /// <exception cref="HdsAuditException">The operation's audit record could not be made durable (fail-closed).</exception>
    public virtual Task<HdsBucketCompliance> CheckBucketAsync(HdsRequestOptions? options = null, CancellationToken cancellationToken = default) =>
        ExecuteAsync(HdsOperation.CheckBucket, options, null, null,
            async operation => await _backend.CheckMetadataMasterAsync(
                await _backend.CheckBucketAsync(operation, cancellationToken).ConfigureAwait(false), operation, cancellationToken).ConfigureAwait(false),
            cancellationToken);

    /// <summary>
    /// Stores <paramref name="content"/> as a new version of <paramref name="key"/>, streamed in bounded memory, locked by its retention
    /// class. Returns only once the stored version was verified locked; on any failure no version stays visible.
    /// </summary>
    /// <param name="key">The object key within the context's tenant; never put names or health data in it.</param>
    /// <param name="content">The content, read once to its end; need not be seekable.</param>
    /// <param name="options">The retention class, content type and access context.</param>
    /// <param name="cancellationToken">Cancels the write; nothing stays visible.</param>
    /// <returns>The receipt naming the version written, its digest and its verified retention.</returns>
    /// <exception cref="HdsInvalidRequestException">The key, version, options or access context are malformed; nothing was read or written.</exception>
    /// <exception cref="HdsAccessDeniedException">The access policy refuses the operation to this context, or the storage refuses the credentials.</exception>
    /// <exception cref="HdsConfigurationException">The bucket is not fit for health data (versioning or object lock off).</exception>
    /// <exception cref="HdsBackendUnavailableException">No storage site answered within the failover timeout; nothing partial was left.</exception>
    /// <exception cref="HdsAuditException">The operation's audit record could not be made durable (fail-closed).</exception>
    /// <exception cref="HdsNotGeoDurableException">Fewer sites than asked confirmed the write in time; the version is stored and locked (the exception carries its receipt).</exception>
    /// <exception cref="HdsIntegrityException">The storage did not keep the content or the lock asked (read back after the write).</exception>
    public virtual Task<HdsStorageReceipt> PutAsync(string key, Stream content, HdsPutOptions? options = null, CancellationToken cancellationToken = default) =>
        ExecuteAsync(HdsOperation.Put, options, key, null, operation => PutCoreAsync(key, content, options, operation, cancellationToken), cancellationToken);

    private async Task<HdsStorageReceipt> PutCoreAsync(string key, Stream content, HdsPutOptions? options, OperationContext operation, CancellationToken cancellationToken)
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
            if (AnnounceWrite(physical, key, operation) is { } intent)
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

    /// <summary>
    /// Opens a version for reading. The returned content is verified as it is read and throws <see cref="HdsIntegrityException"/>
    /// on any mismatch; read it to its end to complete the verification.
    /// </summary>
    /// <param name="key">The object key within the context's tenant.</param>
    /// <param name="options">The version and access context.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The content and the version's properties; dispose it.</returns>
    /// <exception cref="HdsInvalidRequestException">The key, version, options or access context are malformed; nothing was read or written.</exception>
    /// <exception cref="HdsAccessDeniedException">The access policy refuses the operation to this context, or the storage refuses the credentials.</exception>
    /// <exception cref="HdsConfigurationException">The bucket is not fit for health data (versioning or object lock off).</exception>
    /// <exception cref="HdsBackendUnavailableException">No storage site answered within the failover timeout; nothing partial was left.</exception>
    /// <exception cref="HdsAuditException">The operation's audit record could not be made durable (fail-closed).</exception>
    /// <exception cref="HdsObjectNotFoundException">The object or version does not exist.</exception>
    /// <exception cref="HdsNotReplicatedException">The version is on none of the sites that answered, and a site that may hold it could not be asked.</exception>
    public virtual Task<HdsDownload> GetAsync(string key, HdsGetOptions? options = null, CancellationToken cancellationToken = default) =>
        ExecuteAsync(HdsOperation.Get, options, key, options?.VersionId, operation => GetCoreAsync(key, options, operation, cancellationToken), cancellationToken);

    private async Task<HdsDownload> GetCoreAsync(string key, HdsGetOptions? options, OperationContext operation, CancellationToken cancellationToken)
    {
        var context = operation.Access;
        ObjectKeys.Validate(key);
        ValidateVersionId(options?.VersionId);
        await EnsureBucketAsync(operation, cancellationToken).ConfigureAwait(false);
        if (options?.Range is { } range)
        {
            return await _rangedReader.ReadAsync(operation, key, options.VersionId, range, cancellationToken).ConfigureAwait(false);
        }

        var read = await _backend.GetAsync(ObjectKeys.ToPhysical(context.Tenant, key), options?.VersionId, null, operation, cancellationToken).ConfigureAwait(false);
        operation.NoteSite(read.Site);
        try
        {
            RequireVersion(options?.VersionId, read.Head);
            var decoder = await _codec.CreateDecoderAsync(read.Body, new ObjectIdentity(context.Tenant, key), StoredVersionOf(read.Head), cancellationToken)
                .ConfigureAwait(false);
            return new HdsDownload(decoder, ToProperties(key, read.Head));
        }
        catch
        {
            await read.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Reads a version to its end and checks everything, without returning content: the basis of scrubbing.</summary>
    /// <param name="key">The object key within the context's tenant.</param>
    /// <param name="options">The version, an optional receipt to match, and the access context.</param>
    /// <param name="cancellationToken">Cancels the verification.</param>
    /// <returns>What was verified.</returns>
    /// <exception cref="HdsIntegrityException">The stored version does not verify or does not match the receipt.</exception>
    /// <exception cref="HdsInvalidRequestException">The key, version, options or access context are malformed; nothing was read or written.</exception>
    /// <exception cref="HdsAccessDeniedException">The access policy refuses the operation to this context, or the storage refuses the credentials.</exception>
    /// <exception cref="HdsConfigurationException">The bucket is not fit for health data (versioning or object lock off).</exception>
    /// <exception cref="HdsBackendUnavailableException">No storage site answered within the failover timeout; nothing partial was left.</exception>
    /// <exception cref="HdsAuditException">The operation's audit record could not be made durable (fail-closed).</exception>
    /// <exception cref="HdsObjectNotFoundException">The object or version does not exist.</exception>
    /// <exception cref="HdsNotReplicatedException">The version is on none of the sites that answered, and a site that may hold it could not be asked.</exception>
    public virtual Task<HdsVerificationResult> VerifyAsync(string key, HdsVerifyOptions? options = null, CancellationToken cancellationToken = default) =>
        ExecuteAsync(HdsOperation.Verify, options, key, options?.VersionId ?? options?.Receipt?.VersionId, operation => VerifyCoreAsync(key, options, operation, cancellationToken), cancellationToken);

    private async Task<HdsVerificationResult> VerifyCoreAsync(string key, HdsVerifyOptions? options, OperationContext operation, CancellationToken cancellationToken)
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
        var download = await GetCoreAsync(key, new HdsGetOptions { VersionId = versionId, Context = options?.Context }, operation, cancellationToken).ConfigureAwait(false);
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

                if (download.Properties.Retention.RetainUntil is not { } until || until + RetentionTolerance < receipt.RetainUntil)
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

    /// <summary>Gets a version's properties (retention and legal hold included) without reading its content.</summary>
    /// <param name="key">The object key within the context's tenant.</param>
    /// <param name="options">The version (the latest when null) and the access context.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The properties.</returns>
    /// <exception cref="HdsInvalidRequestException">The key, version, options or access context are malformed; nothing was read or written.</exception>
    /// <exception cref="HdsAccessDeniedException">The access policy refuses the operation to this context, or the storage refuses the credentials.</exception>
    /// <exception cref="HdsConfigurationException">The bucket is not fit for health data (versioning or object lock off).</exception>
    /// <exception cref="HdsBackendUnavailableException">No storage site answered within the failover timeout; nothing partial was left.</exception>
    /// <exception cref="HdsAuditException">The operation's audit record could not be made durable (fail-closed).</exception>
    /// <exception cref="HdsObjectNotFoundException">The object or version does not exist.</exception>
    /// <exception cref="HdsNotReplicatedException">The version is on none of the sites that answered, and a site that may hold it could not be asked.</exception>
    /// <exception cref="HdsIntegrityException">The stored version does not verify: no unverified byte is returned.</exception>
    public virtual Task<HdsObjectProperties> GetPropertiesAsync(
        string key, HdsVersionOptions? options = null, CancellationToken cancellationToken = default) =>
        ExecuteAsync(HdsOperation.GetProperties, options, key, options?.VersionId, operation => GetPropertiesCoreAsync(key, options?.VersionId, operation, cancellationToken), cancellationToken);

    private async Task<HdsObjectProperties> GetPropertiesCoreAsync(string key, string? versionId, OperationContext operation, CancellationToken cancellationToken)
    {
        var context = operation.Access;
        ObjectKeys.Validate(key);
        ValidateVersionId(versionId);
        await EnsureBucketAsync(operation, cancellationToken).ConfigureAwait(false);
        var head = await _backend.HeadAsync(ObjectKeys.ToPhysical(context.Tenant, key), versionId, operation, cancellationToken).ConfigureAwait(false);
        return ToProperties(key, head);
    }

    /// <summary>
    /// Lists the context tenant's objects whose key starts with <paramref name="prefix"/>, in key order, fetching each page as the
    /// enumeration needs it (each page fetch is one authorized and audited List operation). <see cref="ListPagesAsync"/> gives the pages.
    /// </summary>
    /// <param name="prefix">The key prefix; all objects when null or empty.</param>
    /// <param name="options">The page to start from, the page size and the access context.</param>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    /// <returns>The objects, from the page <see cref="HdsListOptions.ContinuationToken"/> names (the first when null) to the last.</returns>
    /// <exception cref="HdsInvalidRequestException">The key, version, options or access context are malformed; nothing was read or written.</exception>
    /// <exception cref="HdsAccessDeniedException">The access policy refuses the operation to this context, or the storage refuses the credentials.</exception>
    /// <exception cref="HdsConfigurationException">The bucket is not fit for health data (versioning or object lock off).</exception>
    /// <exception cref="HdsBackendUnavailableException">No storage site answered within the failover timeout; nothing partial was left.</exception>
    /// <exception cref="HdsAuditException">The operation's audit record could not be made durable (fail-closed).</exception>
    public virtual async IAsyncEnumerable<HdsObjectItem> ListAsync(
        string? prefix = null, HdsListOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var page in ListPagesAsync(prefix, options, cancellationToken).ConfigureAwait(false))
        {
            foreach (var item in page.Items)
            {
                yield return item;
            }
        }
    }

    /// <summary>
    /// Lists the context tenant's objects whose key starts with <paramref name="prefix"/> page by page, in key order, from the page
    /// <see cref="HdsListOptions.ContinuationToken"/> names; each page is fetched when the enumeration asks for it, by one authorized
    /// and audited List operation, and carries the token of the next one (to resume later).
    /// </summary>
    /// <param name="prefix">The key prefix; all objects when null or empty.</param>
    /// <param name="options">The page to start from, the page size and the access context.</param>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    /// <returns>The pages, to the last one (whose continuation token is null).</returns>
    /// <exception cref="HdsInvalidRequestException">The key, version, options or access context are malformed; nothing was read or written.</exception>
    /// <exception cref="HdsAccessDeniedException">The access policy refuses the operation to this context, or the storage refuses the credentials.</exception>
    /// <exception cref="HdsConfigurationException">The bucket is not fit for health data (versioning or object lock off).</exception>
    /// <exception cref="HdsBackendUnavailableException">No storage site answered within the failover timeout; nothing partial was left.</exception>
    /// <exception cref="HdsAuditException">The operation's audit record could not be made durable (fail-closed).</exception>
    public virtual async IAsyncEnumerable<HdsObjectPage> ListPagesAsync(
        string? prefix = null, HdsListOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var token = options?.ContinuationToken;
        do
        {
            // Between pages the caller may have cancelled: no further List operation then.
            cancellationToken.ThrowIfCancellationRequested();
            var from = token;
            var page = await ExecuteAsync(HdsOperation.List, options, prefix, null, operation => ListCoreAsync(prefix, options, from, operation, cancellationToken), cancellationToken)
                .ConfigureAwait(false);
            yield return page;
            token = page.ContinuationToken;
        }
        while (token is not null);
    }

    private async Task<HdsObjectPage> ListCoreAsync(string? prefix, HdsListOptions? options, string? continuationToken, OperationContext operation, CancellationToken cancellationToken)
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

    /// <summary>
    /// Lists every version and delete marker of <paramref name="key"/>, newest first (one authorized and audited operation, run when
    /// the enumeration starts).
    /// </summary>
    /// <param name="key">The object key within the context's tenant.</param>
    /// <param name="options">The access context.</param>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    /// <returns>The versions.</returns>
    /// <exception cref="HdsInvalidRequestException">The key, version, options or access context are malformed; nothing was read or written.</exception>
    /// <exception cref="HdsAccessDeniedException">The access policy refuses the operation to this context, or the storage refuses the credentials.</exception>
    /// <exception cref="HdsConfigurationException">The bucket is not fit for health data (versioning or object lock off).</exception>
    /// <exception cref="HdsBackendUnavailableException">No storage site answered within the failover timeout; nothing partial was left.</exception>
    /// <exception cref="HdsAuditException">The operation's audit record could not be made durable (fail-closed).</exception>
    /// <exception cref="HdsObjectNotFoundException">The object or version does not exist.</exception>
    public virtual async IAsyncEnumerable<HdsObjectVersionItem> GetVersionsAsync(
        string key, HdsRequestOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        // One operation: duplicate writes are told apart over the whole history; the shape lets the backend stream it later.
        var versions = await ExecuteAsync(HdsOperation.GetVersions, options, key, null, operation => GetVersionsCoreAsync(key, operation, cancellationToken), cancellationToken)
            .ConfigureAwait(false);
        foreach (var version in versions)
        {
            yield return version;
        }
    }

    private async Task<IReadOnlyList<HdsObjectVersionItem>> GetVersionsCoreAsync(string key, OperationContext operation, CancellationToken cancellationToken)
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

    /// <summary>
    /// Deletes <paramref name="key"/> the only way health data may be deleted: a delete marker hides it, every version stays stored
    /// until its retention expires.
    /// </summary>
    /// <param name="key">The object key within the context's tenant.</param>
    /// <param name="options">The access context.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The delete marker's version id.</returns>
    /// <exception cref="HdsInvalidRequestException">The key, version, options or access context are malformed; nothing was read or written.</exception>
    /// <exception cref="HdsAccessDeniedException">The access policy refuses the operation to this context, or the storage refuses the credentials.</exception>
    /// <exception cref="HdsConfigurationException">The bucket is not fit for health data (versioning or object lock off).</exception>
    /// <exception cref="HdsBackendUnavailableException">No storage site answered within the failover timeout; nothing partial was left.</exception>
    /// <exception cref="HdsAuditException">The operation's audit record could not be made durable (fail-closed).</exception>
    public virtual Task<HdsDeleteResult> DeleteAsync(string key, HdsRequestOptions? options = null, CancellationToken cancellationToken = default) =>
        ExecuteAsync(HdsOperation.Delete, options, key, null, operation => DeleteCoreAsync(key, operation, cancellationToken), cancellationToken);

    private async Task<HdsDeleteResult> DeleteCoreAsync(string key, OperationContext operation, CancellationToken cancellationToken)
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

    /// <summary>
    /// Turns the legal hold of a version on or off. Setting and releasing both need the purpose "legal-hold" and the role "legal" by
    /// default; the policy sees which one is asked (<see cref="HdsAuthorizationRequest.LegalHold"/>).
    /// </summary>
    /// <param name="key">The object key within the context's tenant.</param>
    /// <param name="enabled">Whether the hold is on.</param>
    /// <param name="options">The version (the latest when null) and the access context.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The version's properties after the change, as read back.</returns>
    /// <exception cref="HdsInvalidRequestException">The key, version, options or access context are malformed; nothing was read or written.</exception>
    /// <exception cref="HdsAccessDeniedException">The access policy refuses the operation to this context, or the storage refuses the credentials.</exception>
    /// <exception cref="HdsConfigurationException">The bucket is not fit for health data (versioning or object lock off).</exception>
    /// <exception cref="HdsBackendUnavailableException">No storage site answered within the failover timeout; nothing partial was left.</exception>
    /// <exception cref="HdsAuditException">The operation's audit record could not be made durable (fail-closed).</exception>
    /// <exception cref="HdsObjectNotFoundException">The object or version does not exist.</exception>
    /// <exception cref="HdsNotReplicatedException">The version is on none of the sites that answered, and a site that may hold it could not be asked.</exception>
    public virtual Task<HdsObjectProperties> SetLegalHoldAsync(
        string key, bool enabled, HdsVersionOptions? options = null, CancellationToken cancellationToken = default) =>
        ExecuteWithArgumentsAsync(HdsOperation.SetLegalHold, options, key, options?.VersionId, new OperationArguments { LegalHold = enabled },
            operation => SetLegalHoldCoreAsync(key, enabled, options?.VersionId, operation, cancellationToken), cancellationToken);

    private async Task<HdsObjectProperties> SetLegalHoldCoreAsync(string key, bool enabled, string? versionId, OperationContext operation, CancellationToken cancellationToken)
    {
        var context = operation.Access;
        ObjectKeys.Validate(key);
        ValidateVersionId(versionId);
        await EnsureBucketAsync(operation, cancellationToken).ConfigureAwait(false);
        var physical = ObjectKeys.ToPhysical(context.Tenant, key);
        var head = await _backend.HeadAsync(physical, versionId, operation, cancellationToken).ConfigureAwait(false);
        await _backend.SetLegalHoldAsync(physical, head.VersionId, enabled, operation, cancellationToken).ConfigureAwait(false);
        var after = await _backend.HeadAsync(physical, head.VersionId, operation, cancellationToken).ConfigureAwait(false);
        if (after.Retention.LegalHold != enabled)
        {
            throw new HdsConfigurationException("The storage did not apply the legal hold change. Check the bucket's object lock configuration.");
        }

        return ToProperties(key, after);
    }

    /// <summary>
    /// Extends the retention of a version. Shortening is refused: retention only ever grows. Needs the purpose "retention" and the
    /// role "legal" by default; a date beyond <see cref="HdsAuthorizationOptions.RetentionHorizon"/> (100 years) is refused whatever the role.
    /// </summary>
    /// <param name="key">The object key within the context's tenant.</param>
    /// <param name="retainUntil">The new retain-until date; must be later than the current one.</param>
    /// <param name="options">The version (the latest when null) and the access context.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The version's properties after the change, as read back.</returns>
    /// <exception cref="HdsObjectLockedException">The new date would shorten the retention.</exception>
    /// <exception cref="HdsInvalidRequestException">The new date is in the past or beyond the retention horizon.</exception>
    /// <exception cref="HdsAccessDeniedException">The access policy refuses the operation to this context, or the storage refuses the credentials.</exception>
    /// <exception cref="HdsConfigurationException">The bucket is not fit for health data (versioning or object lock off).</exception>
    /// <exception cref="HdsBackendUnavailableException">No storage site answered within the failover timeout; nothing partial was left.</exception>
    /// <exception cref="HdsAuditException">The operation's audit record could not be made durable (fail-closed).</exception>
    /// <exception cref="HdsObjectNotFoundException">The object or version does not exist.</exception>
    /// <exception cref="HdsNotReplicatedException">The version is on none of the sites that answered, and a site that may hold it could not be asked.</exception>
    public virtual Task<HdsObjectProperties> ExtendRetentionAsync(
        string key, DateTimeOffset retainUntil, HdsVersionOptions? options = null, CancellationToken cancellationToken = default) =>
        ExecuteWithArgumentsAsync(HdsOperation.ExtendRetention, options, key, options?.VersionId, new OperationArguments { RetainUntil = retainUntil },
            operation => ExtendRetentionCoreAsync(key, retainUntil, options?.VersionId, operation, cancellationToken), cancellationToken);

    private async Task<HdsObjectProperties> ExtendRetentionCoreAsync(
        string key, DateTimeOffset retainUntil, string? versionId, OperationContext operation, CancellationToken cancellationToken)
    {
        var context = operation.Access;
        ObjectKeys.Validate(key);
        ValidateVersionId(versionId);
        if (retainUntil <= _time.GetUtcNow())
        {
            throw new HdsInvalidRequestException("The new retain-until date must be in the future.");
        }

        _retention.CheckWithinHorizon(retainUntil); // checked before authorization too; here so this core never runs without it

        await EnsureBucketAsync(operation, cancellationToken).ConfigureAwait(false);
        var physical = ObjectKeys.ToPhysical(context.Tenant, key);
        var head = await _backend.HeadAsync(physical, versionId, operation, cancellationToken).ConfigureAwait(false);
        if (head.Retention.RetainUntil is { } current && retainUntil < current)
        {
            throw new HdsObjectLockedException(
                $"Retention can only be extended: the version is retained until {current.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture)}; give a later date.");
        }

        var mode = head.Retention.Mode == HdsRetentionMode.None ? HdsRetentionMode.Compliance : head.Retention.Mode;
        var until = new DateTimeOffset(retainUntil.UtcTicks - (retainUntil.UtcTicks % TimeSpan.TicksPerSecond), TimeSpan.Zero);
        await _backend.SetRetentionAsync(physical, head.VersionId, mode, until, operation, cancellationToken).ConfigureAwait(false);
        var after = await _backend.HeadAsync(physical, head.VersionId, operation, cancellationToken).ConfigureAwait(false);
        if (after.Retention.RetainUntil is not { } applied || applied + RetentionTolerance < until)
        {
            throw new HdsConfigurationException("The storage did not apply the retention change. Check the bucket's object lock configuration.");
        }

        return ToProperties(key, after);
    }

    /// <summary>What <see cref="HdsStorageHealthCheck"/> reports: sites, bucket compliance, key ring.</summary>
    internal async Task<HealthCheckResult> CheckHealthAsync(CancellationToken cancellationToken)
    {
        var data = new Dictionary<string, object>(StringComparer.Ordinal);
        var problems = new List<string>();
        var degraded = new List<string>();
        var sites = await _backend.ProbeSitesAsync(cancellationToken).ConfigureAwait(false);
        foreach (var site in sites)
        {
            data["site:" + site.Name] = site.Description;
            site.Lag?.AddTo(data, degraded);
            if (!site.Reachable)
            {
                degraded.Add($"site {site.Name} unreachable");
            }
        }

        if (sites.Count > 0 && !sites.Any(s => s.Reachable && !s.ReadOnly))
        {
            problems.Add("no writable site answers");
        }

        try
        {
            // Bounded in wall-clock time (not the client's clock, which a test may freeze): a health endpoint must answer even
            // when every site hangs.
            using var timeout = new CancellationTokenSource(HealthCheckBucketTimeout, TimeProvider.System);
            using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
            var compliance = await _backend.CheckBucketAsync(null, bounded.Token).ConfigureAwait(false); // a probe, not an operation
            data["bucket"] = compliance.IsCompliant ? "compliant (versioning and object lock enabled)"
                : $"NOT compliant: versioning {compliance.VersioningEnabled}, object lock {compliance.ObjectLockEnabled}";
            if (!compliance.IsCompliant)
            {
                // Say what to do: object lock cannot be turned on later, so the fix is another bucket, not a setting.
                problems.Add($"bucket {compliance.Bucket} is not fit for health data (versioning {(compliance.VersioningEnabled ? "enabled" : "NOT enabled")}, "
                    + $"object lock {(compliance.ObjectLockEnabled ? "enabled" : "NOT enabled")}): use a bucket created with object lock (hds bucket create)");
            }
        }
        catch (HdsStorageException ex)
        {
            // The library's messages say what to do and never hold credentials, keys or content.
            data["bucket"] = $"not checked: {ex.ErrorCode}: {ex.Message}";
            problems.Add($"bucket check failed: {ex.Message.TrimEnd('.')}");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            data["bucket"] = "not checked: no answer within " + HealthCheckBucketTimeout.TotalSeconds + " s";
            problems.Add("bucket check timed out");
        }

        var keyRing = await _codec.CheckKeyRingAsync(cancellationToken).ConfigureAwait(false);
        data["keyRing"] = keyRing.Description;
        if (!keyRing.Available)
        {
            problems.Add("key ring unavailable");
        }

        return problems.Count > 0 ? HealthCheckResult.Unhealthy(string.Join("; ", problems.Concat(degraded)), data: data)
            : degraded.Count > 0 ? HealthCheckResult.Degraded(string.Join("; ", degraded), data: data)
            : HealthCheckResult.Healthy("storage reachable, bucket compliant, keys available", data);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await DisposeAsyncCore().ConfigureAwait(false);
        GC.SuppressFinalize(this);
    }

    /// <summary>Uploads the pending audit records (bounded wait) and releases the audit spool and the backend, asynchronously.</summary>
    /// <returns>A task that completes when released.</returns>
    protected virtual async ValueTask DisposeAsyncCore()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        if (_audit is not null)
        {
            await _audit.DisposeAsync().ConfigureAwait(false);
        }

        if (_backend is not null)
        {
            await _backend.DisposeAsync().ConfigureAwait(false);
        }

        KeyRing?.Dispose();
        _bucketGate?.Dispose();
    }

    // Resolved and validated once per operation, by ExecuteAsync: the cores read it from their OperationContext.
    private HdsAccessContext ResolveContext(HdsRequestOptions? options)
    {
        var context = options?.Context ?? _audit?.Accessor.Current ?? HdsAccessScope.Current
            ?? throw new HdsAccessDeniedException(
                "No access context: every operation must say who acts, for which tenant and why. Pass options.Context or open an HdsAccessScope.");
        context.Validate();
        return context;
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

    private static void ValidateVersionId(string? versionId)
    {
        if (versionId is not null && (versionId.Length is 0 or > 1024 || !versionId.All(c => c is > ' ' and < (char)127)))
        {
            throw new HdsInvalidRequestException("The version id is malformed: 1 to 1024 printable ASCII characters.");
        }
    }

    // A server asked for one version must answer with that version: otherwise a stale (or another) version would be read, or
    // verified locked, in its place. The content cannot tell versions of the same key apart (the identity is tenant + key).
    internal static void RequireVersion(string? requested, BackendObjectHead answered)
    {
        if (requested is not null && !string.Equals(requested, answered.VersionId, StringComparison.Ordinal))
        {
            throw new HdsIntegrityException("The storage answered with another version than the one requested: nothing of it was returned. Check the storage gateway.");
        }
    }

    internal static StoredVersion StoredVersionOf(BackendObjectHead head) => new(head.LastModified, head.Metadata);

    internal static HdsObjectProperties ToProperties(string key, BackendObjectHead head) => new()
    {
        Key = key,
        VersionId = head.VersionId,
        StoredSize = head.StoredLength,
        ContentType = head.ContentType,
        LastModified = head.LastModified,
        Retention = head.Retention,
        RetentionClass = head.Metadata.GetValueOrDefault(MetadataNames.RetentionClass),
        FormatVersion = int.TryParse(head.Metadata.GetValueOrDefault(MetadataNames.Format), out var f) ? f : null,
        Writer = head.Metadata.GetValueOrDefault(MetadataNames.Writer),
        ETag = head.ETag,
    };

    private Task EnsureBucketAsync(OperationContext operation, CancellationToken cancellationToken) => _bucketGate.EnsureAsync(operation, cancellationToken);
}
