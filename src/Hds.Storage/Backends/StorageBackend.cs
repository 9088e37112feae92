using Hds.Storage.Access;
using Hds.Storage.Models;
using Hds.Storage.Retention;

namespace Hds.Storage.Backends;

/// <summary>
/// The seam between the client (access, encoding, verification, retention enforcement) and one storage technology.
/// Backends store opaque bytes under physical keys and translate their failures into <see cref="HdsStorageException"/> subtypes.
/// They must keep S3 Object Lock semantics: versions, delete markers, retention that can be extended but not shortened,
/// legal hold, and refusal to destroy a locked version.
/// Every verb takes the operation it runs for (<see cref="OperationContext"/>, null outside any operation): a backend that tells the
/// storage who acts (the S3 backend's context headers) reads it there, never from an ambient value.
/// </summary>
internal abstract class StorageBackend : IAsyncDisposable
{
    /// <summary>The bucket or directory, for messages and receipts.</summary>
    public abstract string Location { get; }

    public abstract Task<HdsBucketCompliance> CheckBucketAsync(OperationContext? operation, CancellationToken cancellationToken);

    /// <summary>
    /// Adds to a bucket check whether the site holding the bucket metadata answers (sites that replicate: bucket changes need it);
    /// unchanged when the backend has no such site. Only the explicit check asks (not every client's first operation).
    /// </summary>
    public virtual Task<HdsBucketCompliance> CheckMetadataMasterAsync(HdsBucketCompliance compliance, OperationContext? operation, CancellationToken cancellationToken) =>
        Task.FromResult(compliance);

    /// <summary>
    /// Stores <paramref name="body"/> (non-seekable, length unknown until its end) as a new version, with the retention and legal
    /// hold asked for on the request when the backend supports it. The caller verifies the lock afterwards.
    /// A failure leaves no visible version and no pending multipart upload.
    /// </summary>
    public abstract Task<BackendWriteResult> PutAsync(BackendWriteRequest request, Stream body, OperationContext? operation, CancellationToken cancellationToken);

    /// <summary>Opens a version (the latest when <paramref name="versionId"/> is null), optionally a byte range of it.</summary>
    public abstract Task<BackendReadResult> GetAsync(string key, string? versionId, ByteRange? range, OperationContext? operation, CancellationToken cancellationToken);

    public abstract Task<BackendObjectHead> HeadAsync(string key, string? versionId, OperationContext? operation, CancellationToken cancellationToken);

    public abstract Task<BackendListPage> ListAsync(string prefix, string? continuationToken, int pageSize, OperationContext? operation, CancellationToken cancellationToken);

    /// <summary>Every version and delete marker of exactly <paramref name="key"/>, newest first.</summary>
    public abstract Task<IReadOnlyList<BackendVersion>> ListVersionsAsync(string key, OperationContext? operation, CancellationToken cancellationToken);

    /// <summary>
    /// Every version and delete marker of every key starting with <paramref name="prefix"/>: keys in ordinal order, each key's
    /// entries newest first (the order of S3 ListObjectVersions). Keys whose latest entry is a delete marker are included: this is
    /// the whole history, which a holder of the credentials can add to but (under COMPLIANCE lock) not remove from.
    /// </summary>
    public abstract Task<IReadOnlyList<BackendVersion>> ListHistoryAsync(string prefix, OperationContext? operation, CancellationToken cancellationToken);

    /// <summary>Adds a delete marker; returns its version id. Never destroys a version.</summary>
    public abstract Task<string> DeleteAsync(string key, OperationContext? operation, CancellationToken cancellationToken);

    /// <summary>Destroys one version; refused (<see cref="HdsObjectLockedException"/>) while it is under retention or legal hold.</summary>
    public abstract Task DeleteVersionAsync(string key, string versionId, OperationContext? operation, CancellationToken cancellationToken);

    public abstract Task SetLegalHoldAsync(string key, string versionId, bool enabled, OperationContext? operation, CancellationToken cancellationToken);

    /// <summary>Sets the retention of a version; shortening a lock is refused with <see cref="HdsObjectLockedException"/>.</summary>
    public abstract Task SetRetentionAsync(string key, string versionId, HdsRetentionMode mode, DateTimeOffset retainUntil, OperationContext? operation, CancellationToken cancellationToken);

    /// <summary>
    /// The versions of a key that must exist somewhere (a key-ring entry named by an object): like <see cref="ListVersionsAsync"/>,
    /// but when the sites replicate asynchronously and the serving site has none, every site is asked, within the replication lag
    /// bound; <see cref="HdsNotReplicatedException"/> when none had it and some site could not be asked. Empty: no site has it.
    /// </summary>
    public virtual Task<IReadOnlyList<BackendVersion>> ListVersionsOnAnySiteAsync(string key, OperationContext? operation, CancellationToken cancellationToken) =>
        ListVersionsAsync(key, operation, cancellationToken);

    /// <summary>How many sites serve the storage (the most <see cref="HdsPutOptions.AcknowledgementSites"/> can ask for).</summary>
    public virtual int SiteCount => 1;

    /// <summary>The client-wide <see cref="HdsPutOptions.AcknowledgementSites"/> default.</summary>
    public virtual int DefaultAcknowledgementSites => 1;

    /// <summary>
    /// The sites holding a new version with its lock, <paramref name="storedOn"/> first, once <paramref name="required"/> of them
    /// confirmed it or the backend's acknowledgement timeout passed (then fewer). One site: only the one that stored it.
    /// </summary>
    public virtual Task<IReadOnlyList<string>> ConfirmOnSitesAsync(
        string key, string versionId, long storedLength, HdsRetentionInfo wanted, string storedOn, int required, OperationContext? operation, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<string>>([storedOn]);

    /// <summary>Probes every site now, for health checks: one entry per site; none for a backend without sites.</summary>
    public virtual Task<IReadOnlyList<SiteHealth>> ProbeSitesAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<SiteHealth>>([]);

    public abstract ValueTask DisposeAsync();
}

/// <summary>One site as a health probe found it: whether it answered, whether it takes writes, and a line for the health report.</summary>
internal sealed record SiteHealth(string Name, bool Reachable, bool ReadOnly, string Description)
{
    /// <summary>The site's replication lag as last measured in the background, when a monitor runs (S3 sites that replicate).</summary>
    public ReplicationLagReading? Lag { get; init; }
}

/// <summary>A byte range of a stored object: <paramref name="Offset"/> and <paramref name="Length"/> in bytes.</summary>
internal readonly record struct ByteRange(long Offset, long Length);

internal sealed record BackendWriteRequest(
    string Key,
    string ContentType,
    IReadOnlyDictionary<string, string> Metadata,
    HdsRetentionInfo Retention);

internal sealed record BackendWriteResult(string VersionId, long StoredLength, string? ETag)
{
    /// <summary>The site that stored the version (for the audit trail).</summary>
    public string? Site { get; init; }

    /// <summary>
    /// The write's answer was lost (timeout, broken connection) and the retry found the version it had stored: that version was
    /// returned and no second one written. The audit trail records it.
    /// </summary>
    public bool FoundAfterLostAnswer { get; init; }
}

internal sealed record BackendObjectHead(
    string Key,
    string VersionId,
    long StoredLength,
    DateTimeOffset LastModified,
    string? ContentType,
    IReadOnlyDictionary<string, string> Metadata,
    HdsRetentionInfo Retention,
    string? ETag);

internal sealed record BackendListPage(IReadOnlyList<HdsObjectItem> Items, string? ContinuationToken);

internal sealed record BackendVersion(string Key, string VersionId, bool IsLatest, bool IsDeleteMarker, long StoredLength, DateTimeOffset LastModified)
{
    /// <summary>The storage's ETag of the version, when the backend lists it (two versions of one write share it: DuplicateWrites).</summary>
    public string? ETag { get; init; }
}

/// <summary>An open read: the body stream and what the storage said about the version.</summary>
internal sealed class BackendReadResult : IAsyncDisposable
{
    public BackendReadResult(Stream body, BackendObjectHead head)
    {
        Body = body;
        Head = head;
    }

    public Stream Body { get; }

    public BackendObjectHead Head { get; }

    /// <summary>The site that answered the read (it may resume elsewhere), when the backend has sites (for the audit trail).</summary>
    public string? Site { get; init; }

    public ValueTask DisposeAsync() => Body.DisposeAsync();
}
