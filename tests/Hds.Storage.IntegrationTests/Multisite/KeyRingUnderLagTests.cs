using Hds.Storage.IntegrationTests.Infrastructure;
using static Hds.Storage.IntegrationTests.Infrastructure.TestContent;

namespace Hds.Storage.IntegrationTests.Multisite;

/// <summary>
/// The key ring under replication lag (issue 16): a key-encryption key created on one zone is unknown to a zone that lags. A read
/// served there must find the key where it is (or say "not replicated yet"), never report the object as corrupt.
/// </summary>
[Collection(MultisiteCollection.Name)]
public sealed class KeyRingUnderLagTests : MultisiteTest
{
    [Fact]
    public async Task A_key_created_while_the_reading_zone_lags_is_found_on_the_zone_that_has_it()
    {
        // z2 lags from the start: the bucket's first key is created on z1 and is not on z2.
        await MultisiteServer.GatewayAsync("pause-sync", "z2");
        var data = Random(50_000, seed: 162);
        Models.HdsStorageReceipt receipt;
        await using (var writer = ZoneClient(["z1", "z2", "z3"]))
        {
            receipt = await writer.PutAsync("keys/new-key.bin", new MemoryStream(data), new HdsPutOptions { Context = Alice }, Ct);
        }

        using (var z2 = Server.PlainClient("z2"))
        {
            var ring = await z2.ListObjectsV2Async(new Amazon.S3.Model.ListObjectsV2Request { BucketName = Bucket, Prefix = "_hds/keys/" }, Ct);
            Assert.Empty(ring.S3Objects ?? []); // the lagging zone does not know the key
        }

        // A reader in z2's data centre: its key ring (read on z2) lacks the key, the object's header names it.
        await using var reader = ZoneClient(["z2", "z3", "z1"], options => options.S3!.ReplicationLagTimeout = TimeSpan.FromSeconds(10));
        await using var download = await reader.GetAsync("keys/new-key.bin", new HdsGetOptions { Context = Alice, VersionId = receipt.VersionId }, Ct);
        Assert.Equal(data, await ReadAllAsync(download.Content));
        var verified = await reader.VerifyAsync("keys/new-key.bin", new HdsVerifyOptions { Context = Alice, Receipt = receipt }, Ct);
        Assert.Equal(receipt.Sha256, verified.Sha256);
    }
}
