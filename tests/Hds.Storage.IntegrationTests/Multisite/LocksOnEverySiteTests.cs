using Amazon.S3.Model;
using Hds.Storage.IntegrationTests.Infrastructure;
using Hds.Storage.Models;
using Hds.Storage.Retention;
using static Hds.Storage.IntegrationTests.Infrastructure.TestContent;

namespace Hds.Storage.IntegrationTests.Multisite;

/// <summary>
/// The lock of a version checked on the zone that serves it (issue 16, deliverable 5). Each zone keeps its own copy of a version's
/// lock; here one zone's copy is weakened below what the version was written with (a GOVERNANCE retention shortened with the bypass
/// right, on z3 only, while z1 and z2 do not pull from it), which is the state RGW leaves when a lock was not replicated. A read
/// served by that zone locks it there again (it is writable) or, on a read-only zone, is refused.
/// </summary>
[Collection(MultisiteCollection.Name)]
public sealed class LocksOnEverySiteTests : MultisiteTest
{
    private const string ShortClass = "short";
    private const string Key = "locks/served.bin";
    private const string Physical = "msa/" + Key;

    private static void WithShortGovernanceClass(HdsStorageOptions options)
    {
        // GOVERNANCE so the test can weaken one zone's copy with the bypass right (COMPLIANCE cannot be shortened by anyone).
        options.RetentionClasses[ShortClass] = new HdsRetentionClass { Mode = HdsRetentionMode.Governance, Duration = TimeSpan.FromDays(1) };
    }

    // Written through z2 (not the metadata master), on every zone with its lock, then z3's copy weakened and kept so.
    private async Task<(HdsStorageReceipt Receipt, byte[] Data)> WriteOnZ2ThenWeakenZ3Async()
    {
        var data = Random(30_000, seed: 161);
        HdsStorageReceipt receipt;
        await using (var writer = ZoneClient(["z2", "z1", "z3"], WithShortGovernanceClass))
        {
            receipt = await writer.PutAsync(Key, new MemoryStream(data), new HdsPutOptions { Context = Alice, RetentionClass = ShortClass }, Ct);
        }

        Assert.Equal(HdsRetentionMode.Governance, receipt.RetentionMode);
        await Server.KeyRingOnEveryZoneAsync(Bucket, writtenOn: "z2");
        foreach (var zone in MultisiteServer.Zones)
        {
            // What each zone holds, seen by a plain S3 client: the version with the lock it was written with.
            await Eventually.Async(
                async () => await Server.HeadAsync(zone, Bucket, Physical, receipt.VersionId) is { } head
                    && head.ObjectLockMode == Amazon.S3.ObjectLockMode.Governance && head.ObjectLockRetainUntilDate >= receipt.RetainUntil.UtcDateTime.AddSeconds(-1),
                TimeSpan.FromSeconds(60), $"the version locked on {zone}");
        }

        await MultisiteServer.GatewayAsync("pause-sync", "z1");
        await MultisiteServer.GatewayAsync("pause-sync", "z2");
        using (var z3 = Server.PlainClient("z3"))
        {
            await z3.PutObjectRetentionAsync(
                new PutObjectRetentionRequest
                {
                    BucketName = Bucket,
                    Key = Physical,
                    VersionId = receipt.VersionId,
                    BypassGovernanceRetention = true,
                    Retention = new ObjectLockRetention { Mode = Amazon.S3.ObjectLockRetentionMode.Governance, RetainUntilDate = DateTime.UtcNow.AddHours(1) },
                },
                Ct);
        }

        Assert.True((await RetainUntilOnAsync("z3", receipt.VersionId)) < receipt.RetainUntil.AddHours(-1), "z3's copy is weakened");
        Assert.True((await RetainUntilOnAsync("z1", receipt.VersionId)) >= receipt.RetainUntil.AddSeconds(-1), "z1's copy is untouched");
        return (receipt, data);
    }

    private async Task<DateTimeOffset> RetainUntilOnAsync(string zone, string versionId)
    {
        var head = await Server.HeadAsync(zone, Bucket, Physical, versionId) ?? throw new InvalidOperationException($"{zone} lost the version");
        return new DateTimeOffset(DateTime.SpecifyKind(head.ObjectLockRetainUntilDate!.Value, DateTimeKind.Utc));
    }

    [Fact]
    public async Task A_zone_serving_a_version_without_its_lock_locks_it_before_serving()
    {
        var (receipt, data) = await WriteOnZ2ThenWeakenZ3Async();

        foreach (var zone in new[] { "z3", "z1", "z2" })
        {
            string[] order = zone switch { "z3" => ["z3", "z1", "z2"], "z1" => ["z1", "z2", "z3"], _ => ["z2", "z3", "z1"] };
            await using var reader = ZoneClient(order, WithShortGovernanceClass);
            await using var download = await reader.GetAsync(Key, new HdsGetOptions { Context = Alice, VersionId = receipt.VersionId }, Ct);
            Assert.Equal(data, await ReadAllAsync(download.Content));
            Assert.Equal(HdsRetentionMode.Governance, download.Properties.Retention.Mode);
            Assert.True(download.Properties.Retention.RetainUntil >= receipt.RetainUntil.AddSeconds(-1), $"the read served by {zone} reports the version's lock");
            var properties = await reader.GetPropertiesAsync(Key, new HdsVersionOptions { VersionId = receipt.VersionId, Context = Alice }, Ct);
            Assert.True(properties.Retention.RetainUntil >= receipt.RetainUntil.AddSeconds(-1));
        }

        // The zone itself holds the lock again (a plain S3 client sees it), without any replication into it.
        Assert.True(await RetainUntilOnAsync("z3", receipt.VersionId) >= receipt.RetainUntil.AddSeconds(-1), "z3 was locked again by the read it served");
    }

    [Fact]
    public async Task A_read_only_zone_holding_a_version_without_its_lock_does_not_serve_it()
    {
        var (receipt, _) = await WriteOnZ2ThenWeakenZ3Async();

        // A backup data centre's reader: its only writable site is down (connection refused), so reads go to the read-only z3.
        await using var reader = ZoneClient(["z3"], options =>
        {
            WithShortGovernanceClass(options);
            options.S3!.Sites[0].ReadOnly = true;
            options.S3.Sites.Add(new Hds.Storage.HdsSiteOptions { Name = "down", ServiceUrl = new Uri("http://127.0.0.1:1"), Priority = 0 });
            options.S3.FailoverTimeout = TimeSpan.FromSeconds(5);
        });
        var error = await Assert.ThrowsAsync<HdsConfigurationException>(() =>
            reader.GetAsync(Key, new HdsGetOptions { Context = Alice, VersionId = receipt.VersionId }, Ct));
        Output.WriteLine(error.Message);
        Assert.Contains("z3", error.Message, StringComparison.Ordinal);
        Assert.True(await RetainUntilOnAsync("z3", receipt.VersionId) < receipt.RetainUntil.AddHours(-1), "a read-only zone is not written to");
    }
}
