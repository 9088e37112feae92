using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Hds.Storage;

/// <summary>
/// Health check of a client's storage, registered with <c>services.AddHealthChecks().AddHdsStorage()</c> (or <c>AddKeyedHdsStorage(key)</c>):
/// probes every site, checks that the bucket is fit for health data and that the key ring is available.
/// Unhealthy (or the registration's failure status) when no writable site answers, the bucket is not compliant or the keys are missing;
/// degraded when some site does not answer, or, with the replication-lag monitor on (<c>HdsS3StorageOptions.ReplicationLagProbeInterval</c>),
/// when a site did not show the last probe within <c>ReplicationLagTimeout</c>, served it without its lock, or was not measured for three
/// intervals plus twice <c>ReplicationLagTimeout</c>. The description says which site and why; it never holds credentials. The check itself never writes: it reads the
/// monitor's last measurements.
/// The report's data has one entry per site ("site:NAME"), "bucket" and "keyRing"; with the monitor, "site:NAME:replicationLagMs" (the
/// last known lag) and "site:NAME:replicationLagAgeSeconds" (how old the measurement is).
/// </summary>
public sealed class HdsStorageHealthCheck : IHealthCheck
{
    private readonly HdsStorageClient _client;

    /// <summary>Creates the check for a client.</summary>
    /// <param name="client">The client whose storage is checked.</param>
    public HdsStorageHealthCheck(HdsStorageClient client)
    {
        ArgumentNullException.ThrowIfNull(client);
        _client = client;
    }

    /// <inheritdoc />
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var result = await _client.CheckHealthAsync(cancellationToken).ConfigureAwait(false);

        // The registration says how bad "cannot be used" is for this application (failureStatus); called outside a registration, Unhealthy.
        return result.Status == HealthStatus.Unhealthy && context?.Registration is { } registration
            ? new HealthCheckResult(registration.FailureStatus, result.Description, result.Exception, result.Data)
            : result;
    }
}
