using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Hds.Storage.Access;
using Hds.Storage.Diagnostics;
using Hds.Storage.IntegrationTests.Infrastructure;
using Hds.Storage.Models;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using static Hds.Storage.IntegrationTests.Infrastructure.TestContent;

namespace Hds.Storage.IntegrationTests.Sites;

/// <summary>
/// Site routing without killing anything: the shared gateways a and b, and URLs where nothing listens. Runs in parallel with the
/// other integration tests.
/// </summary>
public sealed class SiteRoutingTests : IAsyncLifetime
{
    private static readonly HdsAccessContext Alice = new("agent-4711", "msa", "claim-processing");
    private S3Server _server = null!;
    private string _bucket = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _server = await S3Server.GetAsync();
        _bucket = await _server.CreateBucketAsync();
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    [Fact]
    public async Task A_read_only_site_never_receives_a_write_serves_reads_when_the_writable_site_is_down_and_the_audit_names_each_site()
    {
        var data = Random(20_000, seed: 5);
        HdsStorageReceipt receipt;
        await using (var writer = Client(null, FaultGateways.Site("backup", _server.EndpointA, 0, readOnly: true), FaultGateways.Site("primary", _server.EndpointB, 1)))
        {
            var router = FaultGateways.Router(writer);
            receipt = await writer.PutAsync("sites/ro.bin", NonSeekable(data), new HdsPutOptions { Context = Alice }, Ct);
            Assert.Equal(0, router.Sites[0].Writes);
            Assert.True(router.Sites[1].Writes > 0, "writes go to the writable site");
        }

        await using var client = Client(TimeSpan.FromSeconds(2), FaultGateways.Site("backup", _server.EndpointA, 0, readOnly: true), FaultGateways.Site("primary", DeadUrl(), 1));
        var backup = FaultGateways.Router(client).Sites[0];

        await using (var download = await client.GetAsync("sites/ro.bin", new HdsGetOptions { Context = Alice, VersionId = receipt.VersionId }, Ct))
        {
            Assert.Equal(data, await ReadAllAsync(download.Content));
        }

        await Assert.ThrowsAsync<HdsBackendUnavailableException>(() => client.PutAsync("sites/ro2.bin", NonSeekable(data), new HdsPutOptions { Context = Alice }, Ct));
        Assert.True(backup.Reads > 0, "the read-only site serves reads");
        Assert.Equal(0, backup.Writes);

        // The trail says where each operation was served: the write on primary (by the first client), the read on backup.
        var records = await client.GetRecentAuditRecordsAsync(50, new HdsRequestOptions { Context = new HdsAccessContext("auditor-7", "msa", "audit") { Role = "auditor" } }, Ct);
        var put = Assert.Single(records, r => r.Operation == HdsOperation.Put && r.Outcome == Storage.Models.HdsAuditOutcome.Succeeded);
        Assert.Equal((receipt.VersionId, "primary", false), (put.VersionId, put.Site, put.FoundAfterLostAnswer));
        Assert.Equal("backup", Assert.Single(records, r => r.Operation == HdsOperation.Get).Site);
    }

    [Fact]
    public async Task Every_site_unreachable_fails_with_backend_unavailable_within_the_failover_timeout()
    {
        await using var client = Client(TimeSpan.FromSeconds(2), FaultGateways.Site("x", DeadUrl(), 0), FaultGateways.Site("y", DeadUrl(), 1));
        var clock = Stopwatch.StartNew();

        await Assert.ThrowsAsync<HdsBackendUnavailableException>(() => client.CheckBucketAsync(new HdsRequestOptions { Context = Alice }, Ct));
        await Assert.ThrowsAsync<HdsBackendUnavailableException>(() => client.PutAsync("sites/none.bin", NonSeekable(Random(100)), new HdsPutOptions { Context = Alice }, Ct));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"took {clock.Elapsed}");
        TestContext.Current.TestOutputHelper?.WriteLine($"[sites] two unreachable sites, failover timeout 2 s: two operations failed in {clock.Elapsed.TotalMilliseconds:0} ms.");
    }

    [Fact]
    public async Task A_dead_preferred_site_fails_over_and_the_metrics_count_it()
    {
        using var metrics = new SiteMetricsListener();
        var dead = "dead-" + Guid.NewGuid().ToString("N")[..8];
        var live = "live-" + Guid.NewGuid().ToString("N")[..8];
        // No background probe: one that found the dead site first would rank it last, and the put would never try it (a correct
        // choice, but then there is no failover to count).
        await using var client = FaultGateways.CreateClient(
            _server, _bucket, null, null, s3 => s3.HealthProbeInterval = TimeSpan.Zero, FaultGateways.Site(dead, DeadUrl(), 0), FaultGateways.Site(live, _server.EndpointA, 1));

        var receipt = await client.PutAsync("sites/failover.bin", NonSeekable(Random(1000)), new HdsPutOptions { Context = Alice }, Ct);
        await client.VerifyAsync("sites/failover.bin", new HdsVerifyOptions { Context = Alice, Receipt = receipt }, Ct);

        Assert.True(metrics.FailoversOf(dead) >= 1, "a failover away from the dead site should be counted");
        Assert.Equal(0, metrics.FailoversOf(live));
        Assert.True(metrics.DurationsOf(live) > 0, "per-site latency should be recorded");
        Assert.NotEqual(-1, metrics.CircuitStateOf(live));
    }

    [Fact]
    public async Task The_health_check_reports_each_site_the_bucket_and_the_key_ring()
    {
        await using (var degraded = Client(null, FaultGateways.Site("a", _server.EndpointA, 0), FaultGateways.Site("gone", DeadUrl(), 1)))
        {
            var result = await new HdsStorageHealthCheck(degraded).CheckHealthAsync(new HealthCheckContext(), Ct);

            Assert.Equal(HealthStatus.Degraded, result.Status);
            Assert.StartsWith("reachable", (string)result.Data["site:a"], StringComparison.Ordinal);
            Assert.StartsWith("unreachable", (string)result.Data["site:gone"], StringComparison.Ordinal);
            Assert.StartsWith("compliant", (string)result.Data["bucket"], StringComparison.Ordinal);
            Assert.True(result.Data.ContainsKey("keyRing"));
        }

        await using (var down = Client(TimeSpan.FromSeconds(1), FaultGateways.Site("gone", DeadUrl(), 0)))
        {
            var result = await new HdsStorageHealthCheck(down).CheckHealthAsync(new HealthCheckContext(), Ct);
            Assert.Equal(HealthStatus.Unhealthy, result.Status);
        }

        var single = new HdsStorageOptions { S3 = _server.Options(_bucket) };
        TestCertificates.Apply(single);
        await using (var healthy = new HdsStorageClient(single))
        {
            var result = await new HdsStorageHealthCheck(healthy).CheckHealthAsync(new HealthCheckContext(), Ct);
            Assert.Equal(HealthStatus.Healthy, result.Status);
            Assert.True(result.Data.ContainsKey("site:default"));
        }
    }

    private HdsStorageClient Client(TimeSpan? failoverTimeout, params Hds.Storage.HdsSiteOptions[] sites) =>
        FaultGateways.CreateClient(_server, _bucket, failoverTimeout, null, sites);

    // A loopback port nothing listens on: connections are refused at once.
    private static Uri DeadUrl()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return new Uri($"http://127.0.0.1:{port}");
    }
}
