using Hds.Storage.Retention;
using Hds.Storage.Models;

namespace Hds.Storage.IntegrationTests.Contract;

/// <summary>
/// One backend the contract suite runs against, with the direct access the tests need to check what was really stored
/// without going through the SDK under test (a plain S3 client, or the local store's files).
/// </summary>
public abstract class StorageTarget : IAsyncDisposable
{
    public abstract string Name { get; }

    public abstract HdsStorageClient CreateClient(Action<HdsStorageOptions>? configure = null);

    /// <summary>A client on a bucket (or store) without object lock.</summary>
    public abstract Task<HdsStorageClient> CreateNonCompliantClientAsync();

    /// <summary>Reads the lock of a stored version directly.</summary>
    public abstract Task<HdsRetentionInfo> ReadLockDirectlyAsync(string physicalKey, string versionId);

    /// <summary>Tries to destroy a version directly; returns whether the storage refused.</summary>
    public abstract Task<bool> TryDestroyVersionDirectlyAsync(string physicalKey, string versionId);

    /// <summary>Reads the stored bytes of a version directly.</summary>
    public abstract Task<byte[]> ReadStoredBytesDirectlyAsync(string physicalKey, string versionId);

    /// <summary>Writes a new version directly, with the metadata of <paramref name="template"/>, bypassing the SDK.</summary>
    public abstract Task WriteVersionDirectlyAsync(string physicalKey, string templateVersionId, byte[] stored);

    /// <summary>Multipart uploads begun and neither completed nor aborted.</summary>
    public abstract Task<int> PendingMultipartUploadsAsync();

    /// <summary>A backend on the same bucket (or store), for tests that must act below the client (audit tampering).</summary>
    internal abstract Backends.StorageBackend OpenBackend();

    public abstract ValueTask DisposeAsync();
}
