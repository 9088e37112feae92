using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using Amazon.S3;
using Amazon.S3.Model;
using Hds.Storage.Access;
using Hds.Storage.Audit;
using Hds.Storage.Audit.Search;
using Hds.Storage.IntegrationTests.Infrastructure;
using Hds.Storage.Models;
using static Hds.Storage.IntegrationTests.Infrastructure.TestContent;

namespace Hds.Storage.IntegrationTests.Multisite;

/// <summary>
/// The preferred zone's gateway is killed (SIGKILL) in the middle of a load of concurrent puts and gets (issue 16, deliverable 7):
/// every write acknowledged on two sites is at once readable, verified and locked on a surviving zone; every write acknowledged on
/// one is on every zone, locked, once z1 is back and replication caught up; no key holds two versions of one write; no multipart
/// upload is left open on any zone; the audit trail names the site of every stored write. Times are printed, never asserted.
/// </summary>
[Collection(MultisiteCollection.Name)]
public sealed class ZoneKillUnderLoadTests : MultisiteTest
{
    private const int Workers = 4;
    private const int PutsPerWorker = 6;

    [Fact]
    public async Task Killing_the_preferred_zone_under_concurrent_puts_and_gets_loses_no_acknowledged_write()
    {
        await using var client = ZoneClient(["z1", "z2", "z3"], o =>
        {
            o.S3!.AsynchronousReplication = true;
            o.S3.FailoverTimeout = TimeSpan.FromSeconds(30);
            o.S3.AcknowledgementTimeout = TimeSpan.FromSeconds(60);
        });
        await client.PutAsync("load/warm.bin", new MemoryStream(Random(1000, seed: 1)), new HdsPutOptions { Context = Alice }, Ct);
        await Server.KeyRingOnEveryZoneAsync(Bucket);

        var acknowledged = new ConcurrentBag<(string Key, HdsStorageReceipt Receipt, int AckSites, byte[] Sha256)>();
        var unknown = new ConcurrentBag<string>(); // puts whose answer the kill cut: refused, never written twice
        var reads = 0;
        var clock = Stopwatch.StartNew();
        TimeSpan? killedAt = null;
        var killer = Task.Run(async () =>
        {
            await Task.Delay(TimeSpan.FromSeconds(2), Ct);
            await MultisiteServer.GatewayAsync("kill", "z1");
            killedAt = clock.Elapsed;
        }, Ct);

        var workers = Enumerable.Range(0, Workers).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < PutsPerWorker; i++)
            {
                // One multipart upload in the mix (above the 8 MiB part threshold), cut or not by the kill.
                var data = Random(w == 0 && i == 2 ? (9 * MiB) + 5 : 20_000 + (w * 100) + i, seed: (w * 100) + i);
                var key = $"load/w{w}/{i}.bin";
                var ackSites = i % 2 == 0 ? 2 : 1;
                try
                {
                    var receipt = await client.PutAsync(key, new MemoryStream(data), new HdsPutOptions { Context = Alice, AcknowledgementSites = ackSites }, Ct);
                    acknowledged.Add((key, receipt, ackSites, SHA256.HashData(data)));
                }
                catch (HdsNotGeoDurableException ex) when (ackSites == 2)
                {
                    // Stored and locked on z1 just before it died: its second confirmation cannot come while z1 is down. The write
                    // is acknowledged on one site (the receipt in the exception), and must be on every zone once z1 is back.
                    Output.WriteLine($"{key}: {ex.Message}");
                    acknowledged.Add((key, ex.Receipt, 1, SHA256.HashData(data)));
                    continue;
                }
                catch (HdsStorageException ex) when (ex is HdsBackendUnavailableException or HdsNotReplicatedException)
                {
                    // A put in flight on z1 when it died: z1 may have stored it and cannot be asked, so the library refuses to write
                    // a second copy elsewhere (unavailable); or z1 stored it and died before the lock was read back, which no other
                    // zone can do yet (not replicated). Unacknowledged, allowed; checked below to be on no zone twice.
                    Output.WriteLine($"{key}: {ex.Message}");
                    unknown.Add(key);
                    continue;
                }

                // Gets of what this worker wrote on two sites, through the kill (a write acknowledged on z1 alone may rightly be
                // unreadable until z1 is back: HdsNotReplicatedException).
                if (acknowledged.Where(a => a.AckSites == 2 && a.Key.StartsWith($"load/w{w}/", StringComparison.Ordinal)).FirstOrDefault() is not { Key: { } readKey } read)
                {
                    continue;
                }

                var (_, readReceipt, _, readSha) = read;
                await using var download = await client.GetAsync(readKey, new HdsGetOptions { Context = Alice, VersionId = readReceipt.VersionId }, Ct);
                Assert.Equal(readSha, SHA256.HashData(await ReadAllAsync(download.Content)));
                Interlocked.Increment(ref reads);
            }
        }, Ct)).ToList();
        await Task.WhenAll([.. workers, killer]);
        Output.WriteLine($"{acknowledged.Count} puts acknowledged, {unknown.Count} cut by the kill, and {reads} verified gets by {Workers} workers in {clock.Elapsed.TotalSeconds:0.0} s; z1 killed at {killedAt!.Value.TotalSeconds:0.0} s");
        Assert.Equal(Workers * PutsPerWorker, acknowledged.Count + unknown.Count);
        Assert.True(unknown.Count <= Workers, $"{unknown.Count} puts refused: only those in flight on z1 at the kill (one a worker at most) may be");

        // At once, z1 still down: every write acknowledged on two sites is on a surviving zone, locked, and reads back verified there.
        var survivorsOptions = new HdsStorageOptions { S3 = Server.Options(Bucket) };
        survivorsOptions.S3!.Sites.Clear();
        survivorsOptions.S3.Sites.Add(new Hds.Storage.HdsSiteOptions { Name = "z2", ServiceUrl = Server.Endpoint("z2"), Priority = 0 });
        survivorsOptions.S3.Sites.Add(new Hds.Storage.HdsSiteOptions { Name = "z3", ServiceUrl = Server.Endpoint("z3"), Priority = 1 });
        survivorsOptions.S3.AsynchronousReplication = true;
        TestCertificates.Apply(survivorsOptions);
        await using (var survivors = new HdsStorageClient(survivorsOptions))
        {
            foreach (var (key, receipt, _, sha) in acknowledged.Where(a => a.AckSites == 2))
            {
                Assert.Equal(2, receipt.ConfirmedSites.Count);
                var survivor = receipt.ConfirmedSites.First(s => s != "z1");
                var head = await Server.HeadAsync(survivor, Bucket, "msa/" + key, receipt.VersionId);
                Assert.True(head is not null, $"{key} {receipt.VersionId} confirmed on {survivor} but not there");
                Assert.Equal(ObjectLockMode.Compliance, head.ObjectLockMode);
                var result = await survivors.VerifyAsync(key, new HdsVerifyOptions { Context = Alice, Receipt = receipt }, Ct);
                Assert.Equal(Convert.ToHexStringLower(sha), result.Sha256);
            }
        }

        // z1 back: replication brings every write, acknowledged on one site or two, to every zone, same version id, locked.
        var restart = Stopwatch.StartNew();
        await MultisiteServer.GatewayAsync("start", "z1");
        // Traffic goes on, as in production. RGW announces a changed bucket-index shard to the other zones once per data-log window
        // (30 s), renewing it from memory: a gateway killed just after acknowledging a write can take that announcement with it,
        // and its peers then learn of the write only when the shard changes again (measured: the version stayed off z2 for 180 s
        // on a quiet bucket). Sixty writes reach every index shard.
        for (var i = 0; i < 60; i++)
        {
            await client.PutAsync($"after/{i}.bin", new MemoryStream(Random(100, seed: 10_000 + i)), new HdsPutOptions { Context = Alice }, Ct);
        }

        foreach (var zone in MultisiteServer.Zones)
        {
            foreach (var (key, receipt, _, _) in acknowledged)
            {
                await Eventually.Async(
                    async () => await Server.HeadAsync(zone, Bucket, "msa/" + key, receipt.VersionId) is { ObjectLockMode: var mode } && mode == ObjectLockMode.Compliance,
                    TimeSpan.FromSeconds(180), $"{key} version {receipt.VersionId} on {zone}, locked");
            }
        }

        Output.WriteLine($"every write on every zone, locked, {restart.Elapsed.TotalSeconds:0.0} s after z1's restart");

        // No duplicated write, no multipart upload left open, on any zone.
        foreach (var zone in MultisiteServer.Zones)
        {
            using var s3 = Server.PlainClient(zone);
            var versions = await s3.ListVersionsAsync(new ListVersionsRequest { BucketName = Bucket, Prefix = "msa/load/w" }, Ct);
            foreach (var (key, receipt, _, _) in acknowledged)
            {
                Assert.Equal([receipt.VersionId], versions.Versions.Where(v => v.Key == "msa/" + key).Select(v => v.VersionId));
            }

            foreach (var key in unknown)
            {
                Assert.True(versions.Versions.Count(v => v.Key == "msa/" + key) <= 1, $"{key}: a refused put stored twice on {zone}");
            }

            var uploads = await s3.ListMultipartUploadsAsync(new ListMultipartUploadsRequest { BucketName = Bucket }, Ct);
            Assert.True((uploads.MultipartUploads ?? []).Count == 0, $"open multipart uploads on {zone}: {string.Join(", ", (uploads.MultipartUploads ?? []).Select(u => u.Key))}");
        }

        // The audit trail names the site of every stored write: the receipt's first confirmed site.
        await client.FlushAuditAsync(Ct);
        // The trail's segments and checkpoints written on z2 while z1 was down (and on z1 just before the kill) reach every zone like
        // the documents do; a search served by a zone still missing some would rightly report them missing.
        await Server.SameVersionsOnEveryZoneAsync(Bucket, "_hds/audit/");
        var auditor = new HdsAccessContext("auditor-1", "msa", "audit") { Roles = ["auditor"] };
        var search = await client.SearchAuditAsync(new HdsAuditQuery { Context = auditor, Operation = HdsOperation.Put, Outcome = HdsAuditOutcome.Succeeded, KeyPrefix = "load/w" }, Ct);
        var records = new List<HdsAuditRecord>();
        await foreach (var record in search.WithCancellation(Ct))
        {
            records.Add(record);
        }

        Assert.Empty(search.Problems);
        foreach (var (key, receipt, _, _) in acknowledged)
        {
            var record = Assert.Single(records, r => r.Key == key && r.VersionId == receipt.VersionId);
            Assert.Equal(receipt.ConfirmedSites[0], record.Site);
        }
    }
}
