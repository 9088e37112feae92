using Hds.Storage.Access;
using Hds.Storage.Backends;
using Hds.Storage.Models;
using Hds.Storage.Retention;

// In the root namespace, which every test namespace is nested in: every test calling a backend finds these overloads.
namespace Hds.Storage;

/// <summary>
/// The backend verbs without an operation (<see cref="OperationContext"/> null), for tests that call a backend directly: the
/// library always passes the operation a request runs for (issue 15), a test outside any operation has none.
/// </summary>
internal static class BackendCalls
{
    public static Task<HdsBucketCompliance> CheckBucketAsync(this StorageBackend backend, CancellationToken cancellationToken) =>
        backend.CheckBucketAsync(null, cancellationToken);

    public static Task<HdsBucketCompliance> CheckMetadataMasterAsync(this StorageBackend backend, HdsBucketCompliance compliance, CancellationToken cancellationToken) =>
        backend.CheckMetadataMasterAsync(compliance, null, cancellationToken);

    public static Task<BackendWriteResult> PutAsync(this StorageBackend backend, BackendWriteRequest request, Stream body, CancellationToken cancellationToken) =>
        backend.PutAsync(request, body, null, cancellationToken);

    public static Task<BackendReadResult> GetAsync(this StorageBackend backend, string key, string? versionId, ByteRange? range, CancellationToken cancellationToken) =>
        backend.GetAsync(key, versionId, range, null, cancellationToken);

    public static Task<BackendObjectHead> HeadAsync(this StorageBackend backend, string key, string? versionId, CancellationToken cancellationToken) =>
        backend.HeadAsync(key, versionId, null, cancellationToken);

    public static Task<BackendListPage> ListAsync(this StorageBackend backend, string prefix, string? continuationToken, int pageSize, CancellationToken cancellationToken) =>
        backend.ListAsync(prefix, continuationToken, pageSize, null, cancellationToken);

    public static Task<IReadOnlyList<BackendVersion>> ListVersionsAsync(this StorageBackend backend, string key, CancellationToken cancellationToken) =>
        backend.ListVersionsAsync(key, null, cancellationToken);

    public static Task<IReadOnlyList<BackendVersion>> ListVersionsOnAnySiteAsync(this StorageBackend backend, string key, CancellationToken cancellationToken) =>
        backend.ListVersionsOnAnySiteAsync(key, null, cancellationToken);

    public static Task<IReadOnlyList<BackendVersion>> ListHistoryAsync(this StorageBackend backend, string prefix, CancellationToken cancellationToken) =>
        backend.ListHistoryAsync(prefix, null, cancellationToken);

    public static Task<string> DeleteAsync(this StorageBackend backend, string key, CancellationToken cancellationToken) =>
        backend.DeleteAsync(key, null, cancellationToken);

    public static Task DeleteVersionAsync(this StorageBackend backend, string key, string versionId, CancellationToken cancellationToken) =>
        backend.DeleteVersionAsync(key, versionId, null, cancellationToken);

    public static Task SetLegalHoldAsync(this StorageBackend backend, string key, string versionId, bool enabled, CancellationToken cancellationToken) =>
        backend.SetLegalHoldAsync(key, versionId, enabled, null, cancellationToken);

    public static Task SetRetentionAsync(
        this StorageBackend backend, string key, string versionId, HdsRetentionMode mode, DateTimeOffset retainUntil, CancellationToken cancellationToken) =>
        backend.SetRetentionAsync(key, versionId, mode, retainUntil, null, cancellationToken);

    public static Task<IReadOnlyList<string>> ConfirmOnSitesAsync(
        this StorageBackend backend, string key, string versionId, long storedLength, HdsRetentionInfo wanted, string storedOn, int required,
        CancellationToken cancellationToken) =>
        backend.ConfirmOnSitesAsync(key, versionId, storedLength, wanted, storedOn, required, null, cancellationToken);
}
