using System.Diagnostics;
using Amazon.S3.Model;
using Hds.Storage.Diagnostics;
using Hds.Storage.IntegrationTests.Infrastructure;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Hds.Storage.IntegrationTests.Multisite;

/// <summary>
/// The library's replication-lag monitor on the three real zones (issue 16): with <c>ReplicationLagProbeInterval</c> set, the health
/// check reports the lag of every zone that did not write the probe and the lag metrics are recorded; when replication into z2 is
/// paused the health is degraded naming z2 and why, and healthy again once z2 catches up. The health check itself writes nothing.
/// </summary>
[Collection(MultisiteCollection.Name)]
public sealed class ReplicationLagMonitorTests : MultisiteTest
{
    // RGW's lag has a tail of 10-30 s under load (docs/benchmarks.md): a zone is given that long before it counts as lagging.
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task The_health_reports_each_zone_s_lag_a_zone_whose_replication_is_paused_degrades_it_by_name_and_it_recovers()
    {
        using var metrics = new SiteMetricsListener();
        await using var client = ZoneClient(["z1", "z2", "z3"], options =>
        {
            options.S3!.ReplicationLagProbeInterval = TimeSpan.FromSeconds(1);
            options.S3.ReplicationLagTimeout = ProbeTimeout;
        });
        var health = new HdsStorageHealthCheck(client);

        // z1 (preferred) writes the probes; z2 and z3 show them with their lock.
        var healthy = await HealthAsync(health, r => r.Status == HealthStatus.Healthy && r.Data.ContainsKey("site:z2:replicationLagMs") && r.Data.ContainsKey("site:z3:replicationLagMs"),
            TimeSpan.FromSeconds(90), "healthy with a lag for z2 and z3");
        foreach (var zone in new[] { "z2", "z3" })
        {
            var lag = (double)healthy.Data[$"site:{zone}:replicationLagMs"];
            Assert.InRange(lag, 0.1, ProbeTimeout.TotalMilliseconds);
            Assert.InRange((double)healthy.Data[$"site:{zone}:replicationLagAgeSeconds"], 0, 60);
            Assert.Contains("lock carried", (string)healthy.Data["site:" + zone], StringComparison.Ordinal);
            Assert.NotEmpty(metrics.ReplicationLagsOf(zone));
            Assert.All(metrics.ReplicationLagsOf(zone), seconds => Assert.InRange(seconds, 0.0001, ProbeTimeout.TotalSeconds));
            Assert.True(metrics.LastReplicationLagOf(zone) > 0, $"gauge of {zone}");
        }

        Assert.False(healthy.Data.ContainsKey("site:z1:replicationLagMs"));
        Assert.Contains("replication probe written here", (string)healthy.Data["site:z1"], StringComparison.Ordinal);
        Assert.Null(metrics.LastReplicationLagOf("z1"));
        Output.WriteLine($"healthy: {string.Join("; ", healthy.Data.Select(d => $"{d.Key}={d.Value}"))}");

        // What the probes left, as a plain client sees it on z1: 32 random bytes per probe under the reserved prefix, locked GOVERNANCE.
        using (var z1 = Server.PlainClient("z1"))
        {
            var versions = await z1.ListVersionsAsync(new ListVersionsRequest { BucketName = Bucket, Prefix = "_hds/probe/" }, Ct);
            Assert.NotEmpty(versions.Versions);
            Assert.All(versions.Versions, v => Assert.Equal("_hds/probe/replication-lag", v.Key));
            var head = await z1.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = Bucket, Key = versions.Versions[0].Key, VersionId = versions.Versions[0].VersionId }, Ct);
            Assert.Equal((32L, Amazon.S3.ObjectLockMode.Governance), (head.ContentLength, head.ObjectLockMode));
        }

        // Replication into z2 stops: its probes never arrive, and the health says so by name.
        await MultisiteServer.GatewayAsync("pause-sync", "z2");
        var paused = Stopwatch.StartNew();
        var degraded = await HealthAsync(health, r => r.Status == HealthStatus.Degraded && r.Description!.Contains("site z2: replication probe not seen within 20 s", StringComparison.Ordinal),
            TimeSpan.FromSeconds(120), "degraded naming z2");
        Output.WriteLine($"degraded {paused.Elapsed.TotalSeconds:0.0} s after the pause: {degraded.Description}");
        Assert.DoesNotContain("site z3", degraded.Description, StringComparison.Ordinal);
        Assert.DoesNotContain("site z1", degraded.Description, StringComparison.Ordinal);
        Assert.Contains("replication probe not seen within 20 s", (string)degraded.Data["site:z2"], StringComparison.Ordinal);
        Assert.True((double)degraded.Data["site:z2:replicationLagMs"] >= ProbeTimeout.TotalMilliseconds); // at least the time it has been waited for
        Assert.True(metrics.LastReplicationLagOf("z2") >= ProbeTimeout.TotalSeconds, "the gauge shows the growing lag");

        // Replication resumes: z2 catches up, shows the next probes, and the health is healthy again.
        await MultisiteServer.GatewayAsync("resume-sync", "z2");
        var resumed = Stopwatch.StartNew();
        var recovered = await HealthAsync(health, r => r.Status == HealthStatus.Healthy, TimeSpan.FromSeconds(180), "healthy again after resume");
        Output.WriteLine($"healthy {resumed.Elapsed.TotalSeconds:0.0} s after the resume: {recovered.Data["site:z2"]}");
        Assert.Contains("lock carried", (string)recovered.Data["site:z2"], StringComparison.Ordinal);
    }

    private static async Task<HealthCheckResult> HealthAsync(HdsStorageHealthCheck health, Func<HealthCheckResult, bool> wanted, TimeSpan timeout, string what)
    {
        var clock = Stopwatch.StartNew();
        HealthCheckResult last;
        do
        {
            last = await health.CheckHealthAsync(new HealthCheckContext(), Ct);
            if (wanted(last))
            {
                return last;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(500), Ct);
        }
        while (clock.Elapsed < timeout);

        throw new TimeoutException($"Not {what} within {timeout.TotalSeconds:0} s; last: {last.Status} {last.Description} "
            + string.Join("; ", last.Data.Select(d => $"{d.Key}={d.Value}")));
    }
}
