using System.Diagnostics;
using Amazon.S3;
using Amazon.S3.Model;
using Hds.Storage.Access;
using Hds.Storage.IntegrationTests.Infrastructure;
using Hds.Storage.Models;
using static Hds.Storage.IntegrationTests.Infrastructure.TestContent;

namespace Hds.Storage.IntegrationTests.Sites;

/// <summary>
/// Site failover against real gateways: SIGKILL of a gateway mid-run, both gateways down, and a fault-injecting proxy that resets,
/// stalls and cuts connections mid-body. Only gateways c and d (and proxies in front of them) are ever disturbed.
/// Failover times are measured and printed, never asserted (the machine is shared); bounded behaviour is asserted loosely.
/// </summary>
[Collection(SiteFaultCollection.Name)]
public sealed class SiteFaultTests(FaultGateways gateways) : IAsyncLifetime
{
    private static readonly HdsAccessContext Alice = new("agent-4711", "msa", "claim-processing");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static ITestOutputHelper Output => TestContext.Current.TestOutputHelper!;

    public async ValueTask InitializeAsync() => await FaultGateways.EnsureRunningAsync();

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private static HdsPutOptions Put() => new() { Context = Alice, ContentType = "application/pdf" };

    private static HdsRequestOptions As() => new() { Context = Alice };

    private static Uri C => Gateways.Url(Gateways.C);

    private static Uri D => Gateways.Url(Gateways.D);

    [Fact]
    public async Task Killing_the_preferred_gateway_mid_run_fails_over_and_every_object_verifies_with_its_retention_and_traffic_returns()
    {
        using var metrics = new SiteMetricsListener();
        await using var client = gateways.CreateClient(null, null, FaultGateways.Site("c", C, 0), FaultGateways.Site("d", D, 1));
        var router = FaultGateways.Router(client);
        var (c, d) = (router.Sites[0], router.Sites[1]);
        await client.CheckBucketAsync(new HdsRequestOptions { Context = Alice }, Ct);
        var run = "faults/" + Guid.NewGuid().ToString("N")[..8];
        var stored = new List<(string Key, byte[] Data, HdsStorageReceipt Receipt)>();
        var failed = new List<(string Key, Exception Error)>();
        var clock = Stopwatch.StartNew();
        TimeSpan? killedAt = null;
        TimeSpan? failover = null;
        var killedTimestamp = 0L;

        const int Operations = 16;
        for (var i = 0; i < Operations; i++)
        {
            var key = $"{run}/{i}.bin";
            var data = Random(i % 3 == 1 ? (12 * MiB) + 17 : 20_000 + i, seed: i);
            var onD = d.Requests;
            try
            {
                if (i % 4 == 3)
                {
                    var (k, expected, receipt) = stored[^1];
                    await using var download = await client.GetAsync(k, new HdsGetOptions { Context = Alice, VersionId = receipt.VersionId }, Ct);
                    Assert.Equal(expected, await ReadAllAsync(download.Content));
                }
                else if (i == 4)
                {
                    // SIGKILL while a read streams from c (1 MiB read of 12) and in the middle of a multipart upload (part 1 on c):
                    // the read resumes on d with a ranged request, the rest of the upload goes to d.
                    var (readKey, readData, readReceipt) = stored[1];
                    await using var reading = await client.GetAsync(readKey, new HdsGetOptions { Context = Alice, VersionId = readReceipt.VersionId }, Ct);
                    var head = new byte[MiB];
                    await reading.Content.ReadExactlyAsync(head, Ct);
                    var gated = new GatedStream(data, 7 * MiB);
                    var put = client.PutAsync(key, gated, Put(), Ct);
                    await gated.Reached.WaitAsync(TimeSpan.FromMinutes(1), Ct);
                    await Gateways.KillAsync(Gateways.C);
                    killedAt = clock.Elapsed;
                    killedTimestamp = Stopwatch.GetTimestamp();
                    gated.Open();
                    stored.Add((key, data, await put));
                    var rest = await ReadAllAsync(reading.Content);
                    Assert.Equal(readData, head.Concat(rest).ToArray());
                }
                else
                {
                    stored.Add((key, data, await client.PutAsync(key, NonSeekable(data), Put(), Ct)));
                }
            }
            catch (HdsStorageException ex)
            {
                failed.Add((key, ex));
            }

            if (killedAt is { } k0 && failover is null && d.Requests > onD)
            {
                failover = clock.Elapsed - k0;
            }
        }

        Assert.NotNull(killedAt);
        Assert.NotNull(failover);
        var firstCallOnD = metrics.FirstSuccessOn("d", killedTimestamp);

        // Restart c: the probe sees it answer, closes its circuit, and traffic returns to the preferred site.
        await Gateways.StartAsync(Gateways.C);
        var restartedAt = clock.Elapsed;
        var onC = c.Requests;
        TimeSpan? returned = null;
        for (var n = 0; n < 80 && returned is null; n++)
        {
            await client.GetPropertiesAsync(stored[0].Key, new HdsVersionOptions { VersionId = stored[0].Receipt.VersionId, Context = As().Context }, Ct);
            if (c.Requests > onC)
            {
                returned = clock.Elapsed - restartedAt;
            }
            else
            {
                await Task.Delay(250, Ct);
            }
        }

        Assert.NotNull(returned);

        foreach (var (key, data, receipt) in stored)
        {
            var verified = await client.VerifyAsync(key, new HdsVerifyOptions { Receipt = receipt, Context = Alice }, Ct);
            Assert.Equal(data.Length, verified.Size);
            Assert.Equal(Sha256Hex(data), verified.Sha256);
        }

        await AssertStoredCleanlyAsync(run, stored.Select(s => (s.Key, s.Receipt.VersionId)), failed.Select(f => f.Key));
        // Not asserted: when the probe sees c dead before the next call, calls go straight to d and nothing fails over (run 3 of the
        // first repeated runs). SiteRoutingTests asserts the metric deterministically.
        Output.WriteLine($"[sites] SIGKILL of gateway c mid-multipart: {stored.Count} operations stored, {failed.Count} failed cleanly "
            + $"({string.Join(", ", failed.Select(f => f.Error.GetType().Name))}); failover: kill -> first S3 call served by d {firstCallOnD?.TotalMilliseconds:0} ms, -> interrupted put and read completed on d {failover!.Value.TotalMilliseconds:0} ms; "
            + $"traffic back on c {returned!.Value.TotalMilliseconds:0} ms after restart; failovers metric {metrics.Failovers}; circuit states seen {metrics.CircuitStates}.");
    }

    [Fact]
    public async Task Both_gateways_killed_fail_within_the_failover_timeout_leave_nothing_behind_and_recover()
    {
        var timeout = TimeSpan.FromSeconds(3);
        await using var client = gateways.CreateClient(timeout, TimeSpan.FromSeconds(5), FaultGateways.Site("c", C, 0), FaultGateways.Site("d", D, 1));
        var router = FaultGateways.Router(client);
        var run = "faults/" + Guid.NewGuid().ToString("N")[..8];
        var before = await client.PutAsync(run + "/before.bin", NonSeekable(Random(1000)), Put(), Ct);

        // Both die in the middle of a multipart upload: the upload cannot be aborted now; it must be aborted once a site is back.
        var large = Random((11 * MiB) + 3, seed: 7);
        var gated = new GatedStream(large, 6 * MiB);
        var put = client.PutAsync(run + "/during.bin", gated, Put(), Ct);
        await gated.Reached.WaitAsync(TimeSpan.FromMinutes(1), Ct);
        await Task.WhenAll(Gateways.KillAsync(Gateways.C), Gateways.KillAsync(Gateways.D));
        var clock = Stopwatch.StartNew();
        gated.Open();
        await Assert.ThrowsAsync<HdsBackendUnavailableException>(() => put);
        var multipartFailedAfter = clock.Elapsed;

        clock.Restart();
        await Assert.ThrowsAsync<HdsBackendUnavailableException>(() => client.PutAsync(run + "/down.bin", NonSeekable(Random(1000)), Put(), Ct));
        var putFailedAfter = clock.Elapsed;
        clock.Restart();
        await Assert.ThrowsAsync<HdsBackendUnavailableException>(async () =>
        {
            await using var download = await client.GetAsync(run + "/before.bin", new HdsGetOptions { Context = Alice }, Ct);
        });
        var getFailedAfter = clock.Elapsed;

        // Repeated failures opened both circuits: calls skip those sites until the break ends or the probe sees them answer.
        var circuitsWhileDown = string.Join(" ", router.Sites.Select(s => $"{s.Name}={s.State.CircuitState}"));
        Assert.All(router.Sites, s => Assert.NotEqual(Polly.CircuitBreaker.CircuitState.Closed, s.State.CircuitState));

        // Bounded, not hanging: well within the test's own limits (failover timeout 3 s, then one short round for the abort).
        Assert.True(multipartFailedAfter < TimeSpan.FromSeconds(30), $"multipart failure took {multipartFailedAfter}");
        Assert.True(putFailedAfter < TimeSpan.FromSeconds(30), $"put failure took {putFailedAfter}");
        Assert.True(getFailedAfter < TimeSpan.FromSeconds(30), $"get failure took {getFailedAfter}");

        await Task.WhenAll(Gateways.StartAsync(Gateways.C), Gateways.StartAsync(Gateways.D));
        clock.Restart();
        HdsStorageReceipt? after = null;
        for (var n = 0; n < 40 && after is null; n++)
        {
            try
            {
                after = await client.PutAsync(run + "/after.bin", NonSeekable(Random(2000, seed: 3)), Put(), Ct);
            }
            catch (HdsBackendUnavailableException)
            {
                await Task.Delay(250, Ct);
            }
        }

        var recoveredAfter = clock.Elapsed;
        Assert.NotNull(after);
        await client.VerifyAsync(run + "/before.bin", new HdsVerifyOptions { Receipt = before, Context = Alice }, Ct);

        // The deferred abort is retried by the health probe once a site answers.
        var pending = int.MaxValue;
        for (var n = 0; n < 40 && pending > 0; n++)
        {
            pending = await PendingUploadsAsync(run);
            if (pending > 0)
            {
                await Task.Delay(250, Ct);
            }
        }

        Assert.Equal(0, pending);
        Assert.Equal(0, router.PendingAborts);
        for (var n = 0; n < 40 && router.Sites.Any(s => s.State.CircuitState != Polly.CircuitBreaker.CircuitState.Closed); n++)
        {
            await Task.Delay(250, Ct);
        }

        Assert.All(router.Sites, s => Assert.Equal(Polly.CircuitBreaker.CircuitState.Closed, s.State.CircuitState));
        await AssertStoredCleanlyAsync(run, [(run + "/before.bin", before.VersionId), (run + "/after.bin", after!.VersionId)], [run + "/during.bin", run + "/down.bin"]);
        Output.WriteLine($"[sites] both gateways killed: multipart put failed after {multipartFailedAfter.TotalMilliseconds:0} ms, put after "
            + $"{putFailedAfter.TotalMilliseconds:0} ms, get after {getFailedAfter.TotalMilliseconds:0} ms (failover timeout {timeout.TotalSeconds} s); "
            + $"first success {recoveredAfter.TotalMilliseconds:0} ms after both restarted; circuits while down: {circuitsWhileDown}, closed again by the probe.");
    }

    [Fact]
    public async Task A_multipart_upload_cut_mid_part_continues_on_the_other_site_and_leaves_no_upload()
    {
        await using var proxy = new FaultProxy(Gateways.Port(Gateways.C));
        await using var client = gateways.CreateClient(null, null, FaultGateways.Site("c", proxy.Url, 0), FaultGateways.Site("d", D, 1));
        var (c, d) = (FaultGateways.Router(client).Sites[0], FaultGateways.Router(client).Sites[1]);
        await client.CheckBucketAsync(new HdsRequestOptions { Context = Alice }, Ct);
        var run = "faults/" + Guid.NewGuid().ToString("N")[..8];
        var data = Random((16 * MiB) + 5, seed: 11);

        proxy.CutRequestAfter((7 * MiB) + 12345, thenDown: TimeSpan.FromSeconds(3)); // the gateway dies in the middle of part 2's body
        var clock = Stopwatch.StartNew();
        var receipt = await client.PutAsync(run + "/big.bin", NonSeekable(data), Put(), Ct);
        var took = clock.Elapsed;

        Assert.True(proxy.Faults >= 1);
        Assert.True(c.Writes > 0 && d.Writes > 0, $"parts should be on both sites: c {c.Writes}, d {d.Writes}");
        var verified = await client.VerifyAsync(run + "/big.bin", new HdsVerifyOptions { Receipt = receipt, Context = Alice }, Ct);
        Assert.Equal(Sha256Hex(data), verified.Sha256);
        Assert.Equal(0, await PendingUploadsAsync(run));
        await AssertStoredCleanlyAsync(run, [(run + "/big.bin", receipt.VersionId)], []);
        Output.WriteLine($"[sites] multipart cut mid-part by the proxy: completed across sites in {took.TotalMilliseconds:0} ms (writes c {c.Writes}, d {d.Writes}).");
    }

    [Fact]
    public async Task A_get_cut_mid_body_resumes_with_a_ranged_request_on_the_other_site_and_verifies()
    {
        await using var proxy = new FaultProxy(Gateways.Port(Gateways.C));
        await using var client = gateways.CreateClient(null, null, FaultGateways.Site("c", proxy.Url, 0), FaultGateways.Site("d", D, 1));
        var d = FaultGateways.Router(client).Sites[1];
        var run = "faults/" + Guid.NewGuid().ToString("N")[..8];
        var data = Random((12 * MiB) + 99, seed: 12);
        var receipt = await client.PutAsync(run + "/read.bin", NonSeekable(data), Put(), Ct);
        var readsOnD = d.Reads;

        proxy.CutResponseAfter(3 * MiB, thenDown: TimeSpan.FromSeconds(3)); // the gateway dies mid-response
        await using (var download = await client.GetAsync(run + "/read.bin", new HdsGetOptions { Context = Alice, VersionId = receipt.VersionId }, Ct))
        {
            Assert.Equal(data, await ReadAllAsync(download.Content));
        }

        Assert.True(proxy.Faults >= 1);
        Assert.True(d.Reads > readsOnD, "the rest of the read should have come from d");
        await Task.Delay(3500, Ct); // c is back

        // A cut on a whole-object read through the verifying client also resumes and verifies against the receipt.
        proxy.CutResponseAfter(5 * MiB);
        var verified = await client.VerifyAsync(run + "/read.bin", new HdsVerifyOptions { Receipt = receipt, Context = Alice }, Ct);
        Assert.Equal(Sha256Hex(data), verified.Sha256);
        Output.WriteLine($"[sites] get cut mid-body: resumed on d ({d.Reads - readsOnD} reads on d), content verified; faults injected {proxy.Faults}.");
    }

    [Fact]
    public async Task A_get_whose_gateway_hangs_mid_body_resumes_after_the_request_timeout_instead_of_hanging()
    {
        await using var proxy = new FaultProxy(Gateways.Port(Gateways.C));
        await using var client = gateways.CreateClient(null, TimeSpan.FromSeconds(2), FaultGateways.Site("c", proxy.Url, 0), FaultGateways.Site("d", D, 1));
        var run = "faults/" + Guid.NewGuid().ToString("N")[..8];
        var data = Random((10 * MiB) + 7, seed: 13);
        var receipt = await client.PutAsync(run + "/hang.bin", NonSeekable(data), Put(), Ct);

        proxy.StallResponseAfter(2 * MiB, TimeSpan.FromSeconds(60));
        var clock = Stopwatch.StartNew();
        await using (var download = await client.GetAsync(run + "/hang.bin", new HdsGetOptions { Context = Alice, VersionId = receipt.VersionId }, Ct))
        {
            Assert.Equal(data, await ReadAllAsync(download.Content));
        }

        var took = clock.Elapsed;
        Assert.Equal(1, proxy.Faults);
        Assert.True(took < TimeSpan.FromSeconds(30), $"took {took}");
        Output.WriteLine($"[sites] gateway hung mid-body (request timeout 2 s): read resumed and verified in {took.TotalMilliseconds:0} ms.");
    }

    [Fact]
    public async Task A_write_whose_answer_is_lost_is_not_stored_twice_and_the_receipt_names_the_stored_version()
    {
        await using var proxy = new FaultProxy(Gateways.Port(Gateways.C));
        await using var client = gateways.CreateClient(null, null, FaultGateways.Site("c", proxy.Url, 0), FaultGateways.Site("d", D, 1));
        await client.CheckBucketAsync(new HdsRequestOptions { Context = Alice }, Ct);
        var run = "faults/" + Guid.NewGuid().ToString("N")[..8];

        // The first write to a fresh bucket also stores the key ring's first entry (a PUT too): done before the cut is armed,
        // so that the answer lost is the document's.
        await client.PutAsync("faults-warm-up/" + Guid.NewGuid().ToString("N")[..8], NonSeekable(Random(10, seed: 20)), Put(), Ct);

        // Single PutObject: the server stores it, the answer never arrives.
        proxy.CutResponseOf(line => line.StartsWith("PUT ", StringComparison.Ordinal) && !line.Contains('?', StringComparison.Ordinal));
        var small = await client.PutAsync(run + "/small.bin", NonSeekable(Random(5000, seed: 21)), Put(), Ct);
        Assert.Equal(1, proxy.Faults);

        // Multipart: CompleteMultipartUpload is done, its answer never arrives.
        // Let the probe mark c healthy again so that the upload starts there (bounded wait).
        var c = FaultGateways.Router(client).Sites[0];
        for (var n = 0; n < 100 && c.Suspect; n++)
        {
            await Task.Delay(100, Ct);
        }

        proxy.CutResponseOf(line => line.StartsWith("POST ", StringComparison.Ordinal) && line.Contains("uploadId=", StringComparison.Ordinal));
        var large = await client.PutAsync(run + "/large.bin", NonSeekable(Random((6 * MiB) + 1, seed: 22)), Put(), Ct);
        Assert.Equal(2, proxy.Faults);

        await AssertStoredCleanlyAsync(run, [(run + "/small.bin", small.VersionId), (run + "/large.bin", large.VersionId)], []);
        Assert.Equal(0, await PendingUploadsAsync(run));

        // The audit records of both writes say their answer was lost and name the site that stored the version found.
        var records = await client.GetRecentAuditRecordsAsync(100, new HdsRequestOptions { Context = new HdsAccessContext("auditor-7", "msa", "audit") { Role = "auditor" } }, Ct);
        foreach (var receipt in new[] { small, large })
        {
            var put = Assert.Single(records, r => r.Operation == HdsOperation.Put && r.Key == receipt.Key);
            Assert.Equal((receipt.VersionId, true), (put.VersionId, put.FoundAfterLostAnswer));
            Assert.Contains(put.Site, new[] { "c", "d" });
        }
        Output.WriteLine("[sites] lost answers to PutObject and CompleteMultipartUpload: one version each, receipts name them.");
    }

    [Fact]
    public async Task Resets_and_stalls_of_the_preferred_gateway_fail_over_to_the_other_site()
    {
        await using var proxy = new FaultProxy(Gateways.Port(Gateways.C));
        await using var client = gateways.CreateClient(null, TimeSpan.FromSeconds(2), FaultGateways.Site("c", proxy.Url, 0), FaultGateways.Site("d", D, 1));
        var run = "faults/" + Guid.NewGuid().ToString("N")[..8];
        await client.CheckBucketAsync(new HdsRequestOptions { Context = Alice }, Ct);

        proxy.ResetNextConnections(FaultProxy.MaxConnections);
        var clock = Stopwatch.StartNew();
        var reset = await client.PutAsync(run + "/reset.bin", NonSeekable(Random(3000, seed: 31)), Put(), Ct);
        var resetTook = clock.Elapsed;
        await client.VerifyAsync(run + "/reset.bin", new HdsVerifyOptions { Receipt = reset, Context = Alice }, Ct);
        Assert.True(proxy.Faults > 0);

        // A hung gateway: connections accepted, never answered. A new client (c not yet suspect) tries c first, gives up after the
        // request timeout (2 s) and completes on d.
        proxy.ResetNextConnections(0);
        proxy.StallNextConnections(FaultProxy.MaxConnections, TimeSpan.FromSeconds(20));
        await using var fresh = gateways.CreateClient(null, TimeSpan.FromSeconds(2), FaultGateways.Site("c", proxy.Url, 0), FaultGateways.Site("d", D, 1));
        var faultsBefore = proxy.Faults;
        clock.Restart();
        var stalled = await fresh.PutAsync(run + "/stall.bin", NonSeekable(Random(3000, seed: 32)), Put(), Ct);
        var stallTook = clock.Elapsed;
        Assert.True(proxy.Faults > faultsBefore, "the stalled gateway should have been tried");
        await fresh.VerifyAsync(run + "/stall.bin", new HdsVerifyOptions { Receipt = stalled, Context = Alice }, Ct);

        await AssertStoredCleanlyAsync(run, [(run + "/reset.bin", reset.VersionId), (run + "/stall.bin", stalled.VersionId)], []);
        Output.WriteLine($"[sites] proxy resets: put done in {resetTook.TotalMilliseconds:0} ms; proxy stalls (request timeout 2 s): bucket check + put done in {stallTook.TotalMilliseconds:0} ms; faults {proxy.Faults}.");
    }

    // Every version under the run's prefix is locked (COMPLIANCE); each stored key has exactly its receipt's version (no duplicate);
    // no multipart upload is left.
    private async Task AssertStoredCleanlyAsync(string run, IEnumerable<(string Key, string VersionId)> stored, IEnumerable<string> failed)
    {
        using var s3 = gateways.Server.PlainClient(); // gateway a: never disturbed by these tests
        var prefix = Alice.Tenant + "/" + run + "/";
        var versions = await s3.ListVersionsAsync(new ListVersionsRequest { BucketName = gateways.Bucket, Prefix = prefix }, Ct);
        var all = (versions.Versions ?? []).Where(v => v.IsDeleteMarker != true).ToList();
        foreach (var (key, versionId) in stored)
        {
            var ofKey = all.Where(v => v.Key == Alice.Tenant + "/" + key).ToList();
            Assert.True(ofKey.Count == 1, $"{key}: {ofKey.Count} versions (duplicate write?)");
            Assert.Equal(versionId, ofKey[0].VersionId);
        }

        foreach (var version in all)
        {
            var retention = await s3.GetObjectRetentionAsync(
                new GetObjectRetentionRequest { BucketName = gateways.Bucket, Key = version.Key, VersionId = version.VersionId }, Ct);
            Assert.Equal(ObjectLockRetentionMode.Compliance, retention.Retention?.Mode);
        }

        Output.WriteLine($"[sites] {all.Count} stored versions under the run, all COMPLIANCE-locked; failed keys: {string.Join(", ", failed)}.");
        Assert.Equal(0, await PendingUploadsAsync(run));
    }

    private async Task<int> PendingUploadsAsync(string run)
    {
        using var s3 = gateways.Server.PlainClient();
        var uploads = await s3.ListMultipartUploadsAsync(
            new ListMultipartUploadsRequest { BucketName = gateways.Bucket, Prefix = Alice.Tenant + "/" + run + "/" }, Ct);
        return uploads.MultipartUploads?.Count ?? 0;
    }
}
