using Hds.Storage.Access;
using Hds.Storage.Audit;
using Hds.Storage.IntegrationTests.Infrastructure;
using Hds.Storage.Backends.S3;
using static Hds.Storage.IntegrationTests.Infrastructure.TestContent;
using Hds.Storage.Models;

namespace Hds.Storage.IntegrationTests.Multisite;

/// <summary>
/// Write-at-most-once across replicating zones: the answer of a write stored on z1 is lost (a fault proxy cuts it, then z1 is
/// unreachable for a few seconds) while the other zones lag behind z1. The retry goes to z2, which does not have z1's version:
/// the SDK asks z1 again before sending a second copy, and the write ends with one version, everywhere, once replication caught up.
/// </summary>
[Collection(MultisiteCollection.Name)]
public sealed class WriteOnceAcrossZonesTests : MultisiteTest
{
    [Fact]
    public async Task A_write_whose_answer_is_lost_on_z1_is_not_written_again_on_a_lagging_z2_and_ends_as_one_version_everywhere()
    {
        await using var proxy = new FaultProxy(Server.Endpoint("z1").Port);
        var options = new HdsStorageOptions { S3 = Server.Options(Bucket) };
        options.S3!.Sites.Clear();
        options.S3.Sites.Add(new HdsSiteOptions { Name = "z1", ServiceUrl = proxy.Url, Priority = 0 });
        options.S3.Sites.Add(new HdsSiteOptions { Name = "z2", ServiceUrl = Server.Endpoint("z2"), Priority = 1 });
        options.S3.Sites.Add(new HdsSiteOptions { Name = "z3", ServiceUrl = Server.Endpoint("z3"), Priority = 2 });
        options.S3.ReplicationLagTimeout = TimeSpan.FromSeconds(15);
        options.S3.HealthProbeInterval = TimeSpan.Zero;
        TestCertificates.Apply(options);
        await using var client = new HdsStorageClient(options);

        // The key ring's first key, before any zone lags.
        await client.PutAsync("once/first.bin", new MemoryStream(Random(100, seed: 30)), new HdsPutOptions { Context = Alice }, Ct);
        await Server.KeyRingOnEveryZoneAsync(Bucket);

        await MultisiteServer.GatewayAsync("pause-sync", "z2");
        await MultisiteServer.GatewayAsync("pause-sync", "z3");
        // z1 stores the document; its answer is cut and z1 is unreachable for 4 s: the retry goes to z2, which lags.
        proxy.CutResponseOf(line => line.StartsWith("PUT ", StringComparison.Ordinal) && line.Contains("/msa/once/doc.bin", StringComparison.Ordinal),
            TimeSpan.FromSeconds(4));
        var receipt = await client.PutAsync("once/doc.bin", new MemoryStream(Random(30_000, seed: 31)), new HdsPutOptions { Context = Alice }, Ct);
        Output.WriteLine($"faults {proxy.Faults}; receipt names {receipt.VersionId} on {string.Join(", ", receipt.ConfirmedSites)}");

        var records = await client.GetRecentAuditRecordsAsync(50, new HdsRequestOptions { Context = Alice with { Purpose = "audit", Role = "auditor" } }, Ct);
        Assert.True(proxy.Faults >= 1, "the answer was cut (and the connections of the 4 s that followed reset)");
        var put = Assert.Single(records, r => r.Operation == HdsOperation.Put && r.Key == "once/doc.bin");
        Assert.Equal((receipt.VersionId, true, "z1"), (put.VersionId, put.FoundAfterLostAnswer, put.Site));

        await MultisiteServer.GatewayAsync("resume-sync", "z2");
        await MultisiteServer.GatewayAsync("resume-sync", "z3");
        foreach (var zone in MultisiteServer.Zones)
        {
            await Eventually.Async(
                async () => await Server.HeadAsync(zone, Bucket, "msa/once/doc.bin", receipt.VersionId) is not null,
                TimeSpan.FromSeconds(120), $"the version on {zone}");
        }

        // Replication has caught up with the receipt's version; a second copy written on z2 would have been copied by now too
        // (z2's own writes reach z1 in under a second once it syncs): every zone holds exactly one version of the key.
        await Task.Delay(TimeSpan.FromSeconds(5), Ct);
        foreach (var zone in MultisiteServer.Zones)
        {
            using var s3 = Server.PlainClient(zone);
            var versions = await s3.ListVersionsAsync(new Amazon.S3.Model.ListVersionsRequest { BucketName = Bucket, Prefix = "msa/once/doc.bin" }, Ct);
            Assert.Equal([receipt.VersionId], (versions.Versions ?? []).Select(v => v.VersionId));
        }
    }
}
