using Hds.Storage.Access;
using Hds.Storage.Backends;
using Hds.Storage.Diagnostics;
using Hds.Storage.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Hds.Storage.Locking;

/// <summary>
/// The one bucket check: before the first operation that touches objects (documents, key-ring entries, audit segments), the bucket
/// must have versioning and object lock enabled, else everything is refused with an actionable error. Checked once per client
/// (one gate shared by the client, its key ring and its audit trail); a failed check is asked again next time.
/// </summary>
internal sealed class BucketGate(StorageBackend backend, ILogger? logger = null) : IDisposable
{
    private readonly ILogger _logger = logger ?? NullLogger.Instance;
    private readonly SemaphoreSlim _lock = new(1, 1);
    private volatile bool _passed;

    /// <summary>Whether the bucket was found compliant.</summary>
    public bool Passed => _passed;

    /// <summary>Returns once the bucket is known compliant.</summary>
    /// <exception cref="HdsConfigurationException">The bucket has no versioning or no object lock.</exception>
    public async Task EnsureAsync(OperationContext? operation, CancellationToken cancellationToken)
    {
        if (_passed)
        {
            return;
        }

        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_passed)
            {
                return;
            }

            var compliance = await backend.CheckBucketAsync(operation, cancellationToken).ConfigureAwait(false);
            if (!compliance.IsCompliant)
            {
                Log.BucketNotCompliant(_logger, compliance.Bucket, compliance.VersioningEnabled, compliance.ObjectLockEnabled);
                throw NotCompliant(compliance);
            }

            _passed = true;
        }
        finally
        {
            _lock.Release();
        }
    }

    private static HdsConfigurationException NotCompliant(HdsBucketCompliance compliance) => new(
        $"Bucket '{compliance.Bucket}' cannot hold health data: versioning enabled = {compliance.VersioningEnabled}, object lock enabled = {compliance.ObjectLockEnabled}. "
        + "Object lock can only be enabled when a bucket is created: create a new bucket with object lock enabled (hds bucket create, or see docs/operations.md) and point the client at it.");

    public void Dispose() => _lock.Dispose();
}
