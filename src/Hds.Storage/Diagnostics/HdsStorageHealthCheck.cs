using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Hds.Storage.Diagnostics;

/// <summary>
/// Health check for ASP.NET Core hosting (<c>services.AddHealthChecks().AddCheck&lt;HdsStorageHealthCheck&gt;("hds-storage")</c>):
/// probes every site, checks that the bucket is fit for health data and that the key ring is available.
/// Unhealthy when no writable site answers, the bucket is not compliant or the keys are missing; degraded when some site does not answer.
/// The report's data has one entry per site ("site:NAME"), "bucket" and "keyRing".
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
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        _client.CheckHealthAsync(cancellationToken);
}
