using Hds.Storage;
using Hds.Storage.Diagnostics;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the <see cref="HdsStorageHealthCheck"/> of a registered client with <c>services.AddHealthChecks()</c>.</summary>
public static class HdsStorageHealthChecksBuilderExtensions
{
    /// <summary>The name of the default client's health check: "hds-storage".</summary>
    public const string DefaultName = "hds-storage";

    /// <summary>
    /// Adds a health check of the default <see cref="HdsStorageClient"/> (registered with <c>AddHdsStorage</c>): every site probed,
    /// the bucket fit for health data (versioning and object lock), the key ring available.
    /// </summary>
    /// <param name="builder">The health checks builder.</param>
    /// <param name="name">The check's name in the health report. The default value is "hds-storage".</param>
    /// <param name="failureStatus">
    /// The status reported when the storage cannot be used. The default value is <see langword="null"/>: <see cref="HealthStatus.Unhealthy"/>.
    /// A site down while another one serves is always <see cref="HealthStatus.Degraded"/>.
    /// </param>
    /// <param name="tags">Tags to filter checks by, for example "ready". The default value is <see langword="null"/>: none.</param>
    /// <param name="timeout">How long the check may run. The default value is <see langword="null"/>: no limit beyond the check's own (5 s for the bucket).</param>
    /// <returns>The builder.</returns>
    public static IHealthChecksBuilder AddHdsStorage(
        this IHealthChecksBuilder builder, string name = DefaultName, HealthStatus? failureStatus = null, IEnumerable<string>? tags = null, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(name);
        return builder.Add(new HealthCheckRegistration(
            name, services => new HdsStorageHealthCheck(services.GetRequiredService<HdsStorageClient>()), failureStatus, tags, timeout));
    }

    /// <summary>
    /// Adds a health check of a keyed <see cref="HdsStorageClient"/> (registered with <c>AddKeyedHdsStorage(serviceKey, …)</c>).
    /// </summary>
    /// <param name="builder">The health checks builder.</param>
    /// <param name="serviceKey">The keyed client's name, as given to <c>AddKeyedHdsStorage</c>.</param>
    /// <param name="name">The check's name in the health report. The default value is <see langword="null"/>: "hds-storage-{serviceKey}".</param>
    /// <param name="failureStatus">The status reported when the storage cannot be used. The default value is <see langword="null"/>: <see cref="HealthStatus.Unhealthy"/>.</param>
    /// <param name="tags">Tags to filter checks by. The default value is <see langword="null"/>: none.</param>
    /// <param name="timeout">How long the check may run. The default value is <see langword="null"/>: no limit beyond the check's own.</param>
    /// <returns>The builder.</returns>
    public static IHealthChecksBuilder AddKeyedHdsStorage(
        this IHealthChecksBuilder builder, string serviceKey, string? name = null, HealthStatus? failureStatus = null, IEnumerable<string>? tags = null, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(serviceKey);
        return builder.Add(new HealthCheckRegistration(
            name ?? DefaultName + "-" + serviceKey,
            services => new HdsStorageHealthCheck(services.GetRequiredKeyedService<HdsStorageClient>(serviceKey)),
            failureStatus,
            tags,
            timeout));
    }
}
