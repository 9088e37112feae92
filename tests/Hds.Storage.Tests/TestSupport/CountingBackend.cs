using Hds.Storage.Backends;
using Hds.Storage.Models;
using Hds.Storage.Retention;

namespace Hds.Storage.Tests.TestSupport;

/// <summary>Delegates to another backend, counts reads per key prefix and can change what a write reports (site facts).</summary>
internal sealed class CountingBackend(StorageBackend inner) : StorageBackend
{
    private int _keyRingReads;
    private int _objectReads;

    public int KeyRingReads => Volatile.Read(ref _keyRingReads);

    /// <summary>GET requests for objects outside the reserved prefix (documents).</summary>
    public int ObjectReads => Volatile.Read(ref _objectReads);

    /// <summary>Applied to every write's result, as a backend with sites would report it.</summary>
    public Func<BackendWriteResult, BackendWriteResult>? AlterWrite { get; init; }

    /// <summary>What <see cref="ProbeSitesAsync"/> reports, as a backend with sites would (none when unset).</summary>
    public Func<IReadOnlyList<SiteHealth>>? Sites { get; init; }

    public override string Location => inner.Location;

    public override Task<IReadOnlyList<SiteHealth>> ProbeSitesAsync(CancellationToken cancellationToken) =>
        Sites is { } sites ? Task.FromResult(sites()) : inner.ProbeSitesAsync(cancellationToken);

    public override Task<BucketCompliance> CheckBucketAsync(CancellationToken cancellationToken) => inner.CheckBucketAsync(cancellationToken);

    public override async Task<BackendWriteResult> PutAsync(BackendWriteRequest request, Stream body, CancellationToken cancellationToken)
    {
        var written = await inner.PutAsync(request, body, cancellationToken);
        return AlterWrite is { } alter ? alter(written) : written;
    }

    public override Task<BackendReadResult> GetAsync(string key, string? versionId, ByteRange? range, CancellationToken cancellationToken)
    {
        if (key.StartsWith("_hds/keys/", StringComparison.Ordinal))
        {
            Interlocked.Increment(ref _keyRingReads);
        }
        else if (!key.StartsWith("_hds/", StringComparison.Ordinal))
        {
            Interlocked.Increment(ref _objectReads);
        }

        return inner.GetAsync(key, versionId, range, cancellationToken);
    }

    public override Task<BackendObjectHead> HeadAsync(string key, string? versionId, CancellationToken cancellationToken) => inner.HeadAsync(key, versionId, cancellationToken);

    public override Task<BackendListPage> ListAsync(string prefix, string? continuationToken, int pageSize, CancellationToken cancellationToken) =>
        inner.ListAsync(prefix, continuationToken, pageSize, cancellationToken);

    public override Task<IReadOnlyList<BackendVersion>> ListVersionsAsync(string key, CancellationToken cancellationToken) => inner.ListVersionsAsync(key, cancellationToken);

    public override Task<IReadOnlyList<BackendVersion>> ListHistoryAsync(string prefix, CancellationToken cancellationToken) => inner.ListHistoryAsync(prefix, cancellationToken);

    public override Task<string> DeleteAsync(string key, CancellationToken cancellationToken) => inner.DeleteAsync(key, cancellationToken);

    public override Task DeleteVersionAsync(string key, string versionId, CancellationToken cancellationToken) => inner.DeleteVersionAsync(key, versionId, cancellationToken);

    public override Task SetLegalHoldAsync(string key, string versionId, bool enabled, CancellationToken cancellationToken) =>
        inner.SetLegalHoldAsync(key, versionId, enabled, cancellationToken);

    public override Task SetRetentionAsync(string key, string versionId, RetentionMode mode, DateTimeOffset retainUntil, CancellationToken cancellationToken) =>
        inner.SetRetentionAsync(key, versionId, mode, retainUntil, cancellationToken);

    public override ValueTask DisposeAsync() => inner.DisposeAsync();
}
