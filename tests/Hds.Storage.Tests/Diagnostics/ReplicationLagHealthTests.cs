using Hds.Storage.Backends;
using Hds.Storage.Backends.Local;
using Hds.Storage.Backends.S3.Sites;
using Hds.Storage.Diagnostics;
using Hds.Storage.Encryption;
using Hds.Storage.Tests.TestSupport;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging.Abstractions;

namespace Hds.Storage.Tests.Diagnostics;

/// <summary>
/// The health check with the replication-lag monitor: it reports each site's last measured lag and its age, and is degraded,
/// naming the site and why, when a site's last probe was not seen in time or the measurement is stale; the monitor's measurements
/// are recorded in <c>hds.storage.site.replication.lag</c>. The sites are reported by a stand-in backend over the embedded store.
/// </summary>
[Collection(nameof(TelemetryCollection))]
public sealed class ReplicationLagHealthTests : IDisposable
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private readonly TestStore _store = new();
    private readonly Queue<LagRound> _rounds = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _store.Dispose();

    [Fact]
    public async Task Each_replica_s_lag_and_its_age_are_reported_and_a_probe_not_seen_in_time_degrades_the_health_naming_the_site()
    {
        await using var monitor = Monitor();
        await using var client = Client(monitor);
        await RoundAsync(monitor, z2: new(TimeSpan.FromMilliseconds(340), true, null));
        _store.Time.Advance(TimeSpan.FromSeconds(3));

        var healthy = await Check(client);
        Assert.Equal(HealthStatus.Healthy, healthy.Status);
        Assert.Equal(340.0, healthy.Data["site:z2:replicationLagMs"]);
        Assert.Equal(3.0, healthy.Data["site:z2:replicationLagAgeSeconds"]);
        Assert.Equal("reachable, circuit Closed, replication lag 340 ms, lock carried, measured 3 s ago", healthy.Data["site:z2"]);
        Assert.False(healthy.Data.ContainsKey("site:z1:replicationLagMs")); // z1 wrote the probe
        Assert.Equal(3.0, healthy.Data["site:z1:replicationLagAgeSeconds"]);

        await RoundAsync(monitor, z2: new(null, false, null), waited: Timeout);
        var degraded = await Check(client);
        Assert.Equal(HealthStatus.Degraded, degraded.Status);
        Assert.Equal("site z2: replication probe not seen within 10 s (replication to it is stopped or lagging)", degraded.Description);
        Assert.Equal(10_000.0, degraded.Data["site:z2:replicationLagMs"]); // at least that long

        await RoundAsync(monitor, z2: new(TimeSpan.FromMilliseconds(500), true, null));
        Assert.Equal(HealthStatus.Healthy, (await Check(client)).Status);

        _store.Time.Advance(monitor.StaleAfter + TimeSpan.FromSeconds(1));
        var stale = await Check(client);
        Assert.Equal(HealthStatus.Degraded, stale.Status);
        Assert.Contains("site z2: replication lag last measured 36 s ago (a probe every 5 s)", stale.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_lag_of_each_probe_seen_is_recorded_per_site_and_nothing_else_is_tagged()
    {
        using var capture = new TelemetryCapture();
        await using var monitor = Monitor();

        await RoundAsync(monitor, z2: new(TimeSpan.FromMilliseconds(250), true, null));
        await RoundAsync(monitor, z2: new(null, false, "HttpRequestException"), waited: Timeout);

        var lag = Assert.Single(capture.Named("hds.storage.site.replication.lag"));
        Assert.Equal(0.25, lag.Value);
        Assert.Equal([new KeyValuePair<string, object?>("hds.site", "z2")], lag.Tags);
    }

    private ReplicationLagMonitor Monitor() =>
        new(["z1", "z2"], Interval, Timeout, _store.Time, NullLogger.Instance, _ => Task.FromResult(_rounds.Dequeue()));

    private async Task RoundAsync(ReplicationLagMonitor monitor, ProbeSighting z2, TimeSpan? waited = null)
    {
        var writtenAt = _store.Time.GetUtcNow();
        _store.Time.Advance(waited ?? TimeSpan.Zero);
        _rounds.Enqueue(new LagRound("z1", writtenAt, new Dictionary<string, ProbeSighting> { ["z2"] = z2 }, null));
        await monitor.RunRoundAsync(Ct);
    }

    // The two sites answer; their lines carry what the monitor measured, as the S3 backend reports them.
    private HdsStorageClient Client(ReplicationLagMonitor monitor)
    {
        var options = _store.Options();
        var backend = new CountingBackend(new LocalBackend(options.Local!, _store.Time))
        {
            Sites = () => new[] { "z1", "z2" }.Select(name => monitor.Read(name)!)
                .Select(lag => new SiteHealth(lag.Site, true, false, "reachable, circuit Closed, " + lag.Description) { Lag = lag }).ToList(),
        };
        return new HdsStorageClient(backend, new FormatV1(new TestKeyProvider(), 4096), options, _store.Time);
    }

    private static Task<HealthCheckResult> Check(HdsStorageClient client) => new HdsStorageHealthCheck(client).CheckHealthAsync(new HealthCheckContext(), Ct);
}
