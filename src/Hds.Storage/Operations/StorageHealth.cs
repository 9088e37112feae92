using Hds.Storage.Backends;
using Hds.Storage.Encryption;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Hds.Storage.Operations;

/// <summary>
/// What <see cref="HdsStorageHealthCheck"/> reports for one client (issue 15: health through the backend seam, no downcast to a
/// backend type): every site as the backend probes it (reachable, read-only, replication lag), bucket compliance, the key ring.
/// Unhealthy when no writable site answers, the bucket is unfit or the keys are missing; degraded when a site does not answer or lags.
/// </summary>
internal sealed class StorageHealth(StorageBackend backend, ContentCodec codec)
{
    private static readonly TimeSpan BucketTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Probes the sites, the bucket and the key ring; never writes.</summary>
    public async Task<HealthCheckResult> CheckAsync(CancellationToken cancellationToken)
    {
        var data = new Dictionary<string, object>(StringComparer.Ordinal);
        var problems = new List<string>();
        var degraded = new List<string>();
        var sites = await backend.ProbeSitesAsync(cancellationToken).ConfigureAwait(false);
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
            using var timeout = new CancellationTokenSource(BucketTimeout, TimeProvider.System);
            using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
            var compliance = await backend.CheckBucketAsync(null, bounded.Token).ConfigureAwait(false); // a probe, not an operation
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
            data["bucket"] = "not checked: no answer within " + BucketTimeout.TotalSeconds + " s";
            problems.Add("bucket check timed out");
        }

        var keyRing = await codec.CheckKeyRingAsync(cancellationToken).ConfigureAwait(false);
        data["keyRing"] = keyRing.Description;
        if (!keyRing.Available)
        {
            problems.Add("key ring unavailable");
        }

        return problems.Count > 0 ? HealthCheckResult.Unhealthy(string.Join("; ", problems.Concat(degraded)), data: data)
            : degraded.Count > 0 ? HealthCheckResult.Degraded(string.Join("; ", degraded), data: data)
            : HealthCheckResult.Healthy("storage reachable, bucket compliant, keys available", data);
    }
}
