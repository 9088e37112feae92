using System.Runtime.CompilerServices;
using Hds.Storage.Access;
using Hds.Storage.Audit;
using Hds.Storage.Backends;
using Hds.Storage.Encryption;
using Hds.Storage.Keys;
using Hds.Storage.Locking;
using Hds.Storage.Models;
using Hds.Storage.Operations;
using Hds.Storage.Pipeline;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;

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
    private const string MockingOnly = "This client was made for mocking (protected constructor): it has no storage; override the verbs the test calls.";

    // The parts, built by ClientComposition; null in a client made for mocking (protected constructor).
    private readonly StorageBackend _backend = null!;
    private readonly BucketGate _bucketGate = null!;
    private readonly AuditRuntime? _audit;
    private readonly OperationPipeline? _pipeline;
    private readonly ObjectOperations _objects = null!;
    private readonly RetentionOperations _retentionOperations = null!;
    private readonly AuditTrailOperations _auditTrail = null!;
    private readonly StorageHealth _health = null!;
    private int _disposed; // 1 once disposed: disposing again (using + explicit Dispose) does nothing, as .NET's guidelines ask

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
        : this(ClientComposition.Compose(options, timeProvider, null, backend: backend, codec: codec, logger: logger))
    {
    }

    // The one constructor that keeps the parts; ClientComposition builds them.
    private HdsStorageClient(ClientParts parts)
    {
        _backend = parts.Backend;
        KeyRing = parts.KeyRing;
        _bucketGate = parts.BucketGate;
        _audit = parts.Audit;
        _pipeline = parts.Pipeline;
        _objects = parts.Objects;
        _retentionOperations = parts.RetentionOperations;
        _auditTrail = parts.AuditTrail;
        _health = parts.Health;
    }

    /// <summary>
    /// The certificate-protected key ring, or <see langword="null"/> when key-encryption keys are held by a
    /// <see cref="HdsEncryptionOptions.KeyProvider"/>. Not public: callers list and change it through the key operations
    /// (HdsStorageClient.Keys.cs), which are authorized and audited.
    /// </summary>
    internal KeyRing? KeyRing { get; }

    /// <summary>The backend (tests reach the sites through it).</summary>
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
        ExecuteAsync(HdsOperation.CheckBucket, options, null, null, operation => _objects.CheckBucketAsync(operation, cancellationToken), cancellationToken);

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
        ExecuteAsync(HdsOperation.Put, options, key, null, operation => _objects.PutAsync(key, content, options, operation, cancellationToken), cancellationToken);

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
        ExecuteAsync(HdsOperation.Get, options, key, options?.VersionId, operation => _objects.GetAsync(key, options, operation, cancellationToken), cancellationToken);

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
        ExecuteAsync(HdsOperation.Verify, options, key, options?.VersionId ?? options?.Receipt?.VersionId, operation => _objects.VerifyAsync(key, options, operation, cancellationToken), cancellationToken);

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
        ExecuteAsync(HdsOperation.GetProperties, options, key, options?.VersionId,
            operation => _objects.GetPropertiesAsync(key, options?.VersionId, operation, cancellationToken), cancellationToken);

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
            var page = await ExecuteAsync(HdsOperation.List, options, prefix, null, operation => _objects.ListAsync(prefix, options, from, operation, cancellationToken), cancellationToken)
                .ConfigureAwait(false);
            yield return page;
            token = page.ContinuationToken;
        }
        while (token is not null);
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
        var versions = await ExecuteAsync(HdsOperation.GetVersions, options, key, null, operation => _objects.GetVersionsAsync(key, operation, cancellationToken), cancellationToken)
            .ConfigureAwait(false);
        foreach (var version in versions)
        {
            yield return version;
        }
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
        ExecuteAsync(HdsOperation.Delete, options, key, null, operation => _objects.DeleteAsync(key, operation, cancellationToken), cancellationToken);

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
            operation => _retentionOperations.SetLegalHoldAsync(key, enabled, options?.VersionId, operation, cancellationToken), cancellationToken);

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
            operation => _retentionOperations.ExtendRetentionAsync(key, retainUntil, options?.VersionId, operation, cancellationToken), cancellationToken);

    /// <summary>What <see cref="HdsStorageHealthCheck"/> reports: sites, bucket compliance, key ring.</summary>
    internal Task<HealthCheckResult> CheckHealthAsync(CancellationToken cancellationToken) =>
        _pipeline is null ? Task.FromException<HealthCheckResult>(new InvalidOperationException(MockingOnly)) : _health.CheckAsync(cancellationToken);

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

    // Every verb runs through the pipeline (Pipeline/): context, authorization, audit record and telemetry.
    private Task<T> ExecuteAsync<T>(
        HdsOperation operation, HdsRequestOptions? options, string? key, string? versionId, Func<OperationContext, Task<T>> body, CancellationToken cancellationToken) =>
        ExecuteWithArgumentsAsync(operation, options, key, versionId, null, body, cancellationToken);

    // arguments: what the policy decides on besides the key and version (legal-hold state, retain-until, the key id a revocation
    // names), recorded even when the operation is refused.
    private Task<T> ExecuteWithArgumentsAsync<T>(
        HdsOperation operation, HdsRequestOptions? options, string? key, string? versionId, OperationArguments? arguments,
        Func<OperationContext, Task<T>> body, CancellationToken cancellationToken) =>
        _pipeline?.ExecuteAsync(operation, options, key, versionId, arguments, body, cancellationToken)
            ?? Task.FromException<T>(new InvalidOperationException(MockingOnly));
}
