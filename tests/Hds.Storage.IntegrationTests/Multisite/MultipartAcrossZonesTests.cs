using Amazon.S3.Model;
using Hds.Storage.IntegrationTests.Infrastructure;
using Hds.Storage.Models;
using static Hds.Storage.IntegrationTests.Infrastructure.TestContent;

namespace Hds.Storage.IntegrationTests.Multisite;

/// <summary>
/// A multipart upload across zones kept in step by asynchronous replication: an upload begun on z1 exists on z1 only (RGW does not
/// replicate uploads in progress; z2 answers NoSuchUpload). When z1's gateway drops mid-part (a fault proxy in front of it cuts the
/// part's connection, then refuses every connection), the upload's parts and completion stay on z1: finished there if z1 is back
/// within the failover timeout, or the put fails as unavailable, nothing stored on any zone, and the upload aborted on z1 once it
/// answers. Before the fix, the part failed over to z2 and the put failed with "object not found" (found by the zone-kill test in CI).
/// An initiation whose answer was lost leaves an upload nobody knows the id of on its zone: swept there once it answers.
/// </summary>
[Collection(MultisiteCollection.Name)]
public sealed class MultipartAcrossZonesTests : MultisiteTest
{
    [Fact]
    public async Task A_multipart_upload_whose_zone_drops_for_a_moment_completes_on_that_zone_and_not_on_one_that_never_saw_it()
    {
        await using var proxy = new FaultProxy(Server.Endpoint("z1").Port);
        await using var client = ZoneClient(["z1", "z2", "z3"], o => o.S3!.Sites[0].ServiceUrl = proxy.Url);
        var data = Random((12 * MiB) + 5, seed: 31);

        proxy.CutRequestAfter((6 * MiB) + 12345, thenDown: TimeSpan.FromSeconds(3)); // z1 drops in the middle of a part, for 3 s
        var receipt = await client.PutAsync("mpu/back.bin", NonSeekable(data), new HdsPutOptions { Context = Alice }, Ct);

        Assert.True(proxy.Faults >= 1, "the proxy should have cut a part");
        Assert.Equal("z1", receipt.ConfirmedSites[0]);
        var verified = await client.VerifyAsync("mpu/back.bin", new HdsVerifyOptions { Context = Alice, Receipt = receipt }, Ct);
        Assert.Equal(Sha256Hex(data), verified.Sha256);
        using var z1 = Server.PlainClient("z1");
        var versions = await z1.ListVersionsAsync(new ListVersionsRequest { BucketName = Bucket, Prefix = "msa/mpu/" }, Ct);
        Assert.Equal([receipt.VersionId], versions.Versions.Select(v => v.VersionId));
        Assert.Empty(await OpenUploadsAsync("z1"));
    }

    [Fact]
    public async Task A_multipart_upload_whose_zone_stays_down_fails_as_unavailable_stores_nothing_anywhere_and_is_aborted_when_the_zone_returns()
    {
        await using var proxy = new FaultProxy(Server.Endpoint("z1").Port);
        await using var client = ZoneClient(["z1", "z2", "z3"], o =>
        {
            o.S3!.Sites[0].ServiceUrl = proxy.Url;
            o.S3.FailoverTimeout = TimeSpan.FromSeconds(4); // no health probe (ZoneClient): the kept abort is retried by traffic
        });
        var data = Random((12 * MiB) + 5, seed: 32);

        proxy.CutRequestAfter((6 * MiB) + 12345, thenDown: TimeSpan.FromSeconds(12)); // z1 drops mid-part, longer than the failover timeout
        var refused = await Assert.ThrowsAsync<HdsBackendUnavailableException>(
            () => client.PutAsync("mpu/down.bin", NonSeekable(data), new HdsPutOptions { Context = Alice }, Ct));
        Output.WriteLine(refused.Message);
        Assert.Contains("z1", refused.Message, StringComparison.Ordinal);
        Assert.Contains("nothing was stored", refused.Message, StringComparison.Ordinal);

        // z1 answers again: traffic goes on (on z2, z1 being suspect), and the upload begun on z1 is aborted there by the client,
        // which kept it; no zone holds a version of the key.
        await UntilNoUploadOnZ1WhileTrafficGoesOnAsync(client, "the upload on z1 aborted");
        foreach (var zone in MultisiteServer.Zones)
        {
            using var s3 = Server.PlainClient(zone);
            var versions = await s3.ListVersionsAsync(new ListVersionsRequest { BucketName = Bucket, Prefix = "msa/mpu/" }, Ct);
            Assert.Empty(versions.Versions ?? []);
            Assert.Empty(await OpenUploadsAsync(zone));
        }
    }

    [Fact]
    public async Task An_upload_begun_on_a_zone_that_went_down_before_answering_is_aborted_there_when_it_returns_and_the_put_completes_elsewhere()
    {
        await using var proxy = new FaultProxy(Server.Endpoint("z1").Port);
        await using var client = ZoneClient(["z1", "z2", "z3"], o => o.S3!.Sites[0].ServiceUrl = proxy.Url);
        var data = Random((12 * MiB) + 5, seed: 33);

        // z1 creates the upload, its answer is lost and z1 goes down for 8 s: the put begins again on z2 (an upload on z2 cannot
        // know of z1's) and completes there, and the client keeps z1's unknown upload to sweep once z1 answers.
        proxy.CutResponseOf(line => line.StartsWith("POST ", StringComparison.Ordinal) && line.Contains("?uploads", StringComparison.Ordinal), TimeSpan.FromSeconds(8));
        var receipt = await client.PutAsync("mpu/lost.bin", NonSeekable(data), new HdsPutOptions { Context = Alice }, Ct);
        Assert.True(proxy.Faults >= 1, "the proxy should have cut the initiation's answer");
        Assert.Equal("z2", receipt.ConfirmedSites[0]);
        Assert.Single(await OpenUploadsAsync("z1")); // the lost initiation did create one

        await UntilNoUploadOnZ1WhileTrafficGoesOnAsync(client, "the lost upload on z1 aborted");
        var verified = await client.VerifyAsync("mpu/lost.bin", new HdsVerifyOptions { Context = Alice, Receipt = receipt }, Ct);
        Assert.Equal(Sha256Hex(data), verified.Sha256);
        Assert.Empty(await OpenUploadsAsync("z2"));
    }

    // Puts go on (on z2 while z1 is suspect) until z1 holds no open upload: the client's kept abort is retried by that traffic.
    private async Task UntilNoUploadOnZ1WhileTrafficGoesOnAsync(HdsStorageClient client, string what)
    {
        var puts = 0;
        await Eventually.Async(
            async () =>
            {
                await client.PutAsync($"other/{puts++}.bin", new MemoryStream(Random(100, seed: puts)), new HdsPutOptions { Context = Alice }, Ct);
                return (await OpenUploadsAsync("z1")).Count == 0;
            },
            TimeSpan.FromSeconds(60),
            what);
        Output.WriteLine($"{what} after {puts} puts");
    }

    private async Task<List<MultipartUpload>> OpenUploadsAsync(string zone)
    {
        using var s3 = Server.PlainClient(zone);
        var uploads = await s3.ListMultipartUploadsAsync(new ListMultipartUploadsRequest { BucketName = Bucket }, Ct);
        return uploads.MultipartUploads ?? [];
    }
}
