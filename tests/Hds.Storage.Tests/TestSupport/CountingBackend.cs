using Hds.Storage.Access;
using Hds.Storage.Backends;
using Hds.Storage.Models;
using Hds.Storage.Retention;

namespace Hds.Storage.Tests.TestSupport;

/// <summary>
/// Delegates to another backend, counts reads per key prefix, records the operation each call was made for, and can change what a
/// write reports (site facts).
/// </summary>
internal sealed class CountingBackend(StorageBackend inner) : StorageBackend
{
    private readonly List<(string Verb, string Key, OperationContext? Operation)> _calls = [];
    private int _keyRingReads;
    private int _objectReads;

    /// <summary>Every call: the verb, the key (or prefix) and the operation passed.</summary>
    public IReadOnlyList<(string Verb, string Key, OperationContext? Operation)> Calls
    {
        get
        {
            lock (_calls)
            {
                return _calls.ToList();
            }
        }
    }

    public int KeyRingReads => Volatile.Read(ref _keyRingReads);

    /// <summary>GET requests for objects outside the reserved prefix (documents).</summary>
    public int ObjectReads => Volatile.Read(ref _objectReads);

    /// <summary>Applied to every write's result, as a backend with sites would report it.</summary>
    public Func<BackendWriteResult, BackendWriteResult>? AlterWrite { get; init; }

    /// <summary>What <see cref="ProbeSitesAsync"/> reports, as a backend with sites would (none when unset).</summary>
    public Func<IReadOnlyList<SiteHealth>>? Sites { get; init; }

    /// <summary>A write it returns true for is stored, then its answer is lost (<see cref="IOException"/>).</summary>
    public Func<BackendWriteRequest, bool>? LoseAnswer { get; set; }

    public override string Location => inner.Location;

    public override Task<IReadOnlyList<SiteHealth>> ProbeSitesAsync(CancellationToken cancellationToken) =>
        Sites is { } sites ? Task.FromResult(sites()) : inner.ProbeSitesAsync(cancellationToken);

    public override Task<HdsBucketCompliance> CheckBucketAsync(OperationContext? operation, CancellationToken cancellationToken) =>
        Note("CheckBucketAsync", "", operation, inner.CheckBucketAsync(operation, cancellationToken));

    public override async Task<BackendWriteResult> PutAsync(BackendWriteRequest request, Stream body, OperationContext? operation, CancellationToken cancellationToken)
    {
        var written = await Note("PutAsync", request.Key, operation, inner.PutAsync(request, body, operation, cancellationToken));
        if (LoseAnswer?.Invoke(request) == true)
        {
            throw new IOException("The connection broke before the answer (test).");
        }

        return AlterWrite is { } alter ? alter(written) : written;
    }

    public override Task<BackendReadResult> GetAsync(string key, string? versionId, ByteRange? range, OperationContext? operation, CancellationToken cancellationToken)
    {
        if (key.StartsWith("_hds/keys/", StringComparison.Ordinal))
        {
            Interlocked.Increment(ref _keyRingReads);
        }
        else if (!key.StartsWith("_hds/", StringComparison.Ordinal))
        {
            Interlocked.Increment(ref _objectReads);
        }

        return Note("GetAsync", key, operation, inner.GetAsync(key, versionId, range, operation, cancellationToken));
    }

    public override Task<BackendObjectHead> HeadAsync(string key, string? versionId, OperationContext? operation, CancellationToken cancellationToken) =>
        Note("HeadAsync", key, operation, inner.HeadAsync(key, versionId, operation, cancellationToken));

    public override Task<BackendListPage> ListAsync(string prefix, string? continuationToken, int pageSize, OperationContext? operation, CancellationToken cancellationToken) =>
        Note("ListAsync", prefix, operation, inner.ListAsync(prefix, continuationToken, pageSize, operation, cancellationToken));

    public override Task<IReadOnlyList<BackendVersion>> ListVersionsAsync(string key, OperationContext? operation, CancellationToken cancellationToken) =>
        Note("ListVersionsAsync", key, operation, inner.ListVersionsAsync(key, operation, cancellationToken));

    public override Task<IReadOnlyList<BackendVersion>> ListHistoryAsync(string prefix, OperationContext? operation, CancellationToken cancellationToken) =>
        Note("ListHistoryAsync", prefix, operation, inner.ListHistoryAsync(prefix, operation, cancellationToken));

    public override Task<string> DeleteAsync(string key, OperationContext? operation, CancellationToken cancellationToken) =>
        Note("DeleteAsync", key, operation, inner.DeleteAsync(key, operation, cancellationToken));

    public override Task DeleteVersionAsync(string key, string versionId, OperationContext? operation, CancellationToken cancellationToken) =>
        Note("DeleteVersionAsync", key, operation, inner.DeleteVersionAsync(key, versionId, operation, cancellationToken));

    public override Task SetLegalHoldAsync(string key, string versionId, bool enabled, OperationContext? operation, CancellationToken cancellationToken) =>
        Note("SetLegalHoldAsync", key, operation, inner.SetLegalHoldAsync(key, versionId, enabled, operation, cancellationToken));

    public override Task SetRetentionAsync(string key, string versionId, HdsRetentionMode mode, DateTimeOffset retainUntil, OperationContext? operation, CancellationToken cancellationToken) =>
        Note("SetRetentionAsync", key, operation, inner.SetRetentionAsync(key, versionId, mode, retainUntil, operation, cancellationToken));

    public override ValueTask DisposeAsync() => inner.DisposeAsync();

    private T Note<T>(string verb, string key, OperationContext? operation, T call)
    {
        lock (_calls)
        {
            _calls.Add((verb, key, operation));
        }

        return call;
    }
}
