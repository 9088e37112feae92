using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Hds.Storage.Diagnostics;

namespace Hds.Storage.Backends.S3.Sites;

/// <summary>
/// The site instruments of the "Hds.Storage" meter (OpenTelemetry naming). Recording is skipped when nobody listens.
/// Tags carry site names and outcomes only.
/// </summary>
internal static class SiteMetrics
{
    // The library's one Meter (HdsStorageTelemetry): site instruments sit beside the operation instruments.
    private static readonly Meter Meter = HdsStorageTelemetry.Meter;
    private static readonly ConcurrentDictionary<SiteRouter, byte> Routers = new();

    /// <summary>A call failed on a site with a transient failure and the operation moved on to another site (or retried).</summary>
    public static readonly Counter<long> Failovers = Meter.CreateCounter<long>(
        "hds.storage.site.failovers", "{failover}", "Calls that failed on a site (connection error, timeout, 5xx) and were moved to another site.");

    /// <summary>An operation gave up because no site answered within the failover timeout.</summary>
    public static readonly Counter<long> Unavailable = Meter.CreateCounter<long>(
        "hds.storage.site.unavailable", "{operation}", "Operations that failed because no site answered within the failover timeout.");

    /// <summary>Duration of each S3 call on a site.</summary>
    public static readonly Histogram<double> Duration = Meter.CreateHistogram<double>(
        "hds.storage.site.request.duration", "s", "Duration of S3 calls per site.");

    /// <summary>
    /// Replication lag per site, one measurement per probe a site showed (<see cref="ReplicationLagMonitor"/>): the time from the
    /// probe's write on one site to its first sighting on this one.
    /// </summary>
    public static readonly Histogram<double> ReplicationLag = Meter.CreateHistogram<double>(
        "hds.storage.site.replication.lag", "s", "Replication lag per site: time from a probe's write on one site to its first sighting on this one.");

    static SiteMetrics()
    {
        Meter.CreateObservableGauge(
            "hds.storage.site.replication.last_lag",
            ObserveLags,
            "s",
            "Last known replication lag per site: the last probe's, or, while the latest probe is not seen there, the time since the oldest one not seen was written.");

        Meter.CreateObservableGauge(
            "hds.storage.site.circuit.state",
            ObserveCircuits,
            "{state}",
            "Circuit breaker state per site: 0 closed (serving), 1 open (no traffic), 2 half-open (trial), 3 isolated.");
    }

    public static void Register(SiteRouter router) => Routers.TryAdd(router, 0);

    public static void Unregister(SiteRouter router) => Routers.TryRemove(router, out _);

    public static void RecordDuration(SiteEndpoint site, TimeSpan elapsed, bool success)
    {
        if (Duration.Enabled)
        {
            Duration.Record(elapsed.TotalSeconds, new("hds.site", site.Name), new("outcome", success ? "success" : "failure"));
        }
    }

    public static void RecordFailover(SiteEndpoint site, SiteAccess access) =>
        Failovers.Add(1, new KeyValuePair<string, object?>("hds.site", site.Name), new KeyValuePair<string, object?>("hds.access", access == SiteAccess.Read ? "read" : "write"));

    public static void RecordReplicationLag(string site, TimeSpan lag)
    {
        if (ReplicationLag.Enabled)
        {
            ReplicationLag.Record(lag.TotalSeconds, new KeyValuePair<string, object?>("hds.site", site));
        }
    }

    private static IEnumerable<Measurement<double>> ObserveLags() =>
        Routers.Keys.SelectMany(router => router.LagMonitor?.Observe() ?? []);

    private static IEnumerable<Measurement<int>> ObserveCircuits()
    {
        foreach (var router in Routers.Keys)
        {
            foreach (var site in router.Sites)
            {
                yield return new Measurement<int>((int)site.State.CircuitState, new TagList { { "hds.site", site.Name } });
            }
        }
    }
}
