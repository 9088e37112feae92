using System.Diagnostics;
using Hds.Storage.Access;
using Hds.Storage.IntegrationTests.Infrastructure;
using Hds.Storage.Backends.S3;
using static Hds.Storage.IntegrationTests.Infrastructure.TestContent;

namespace Hds.Storage.IntegrationTests.Multisite;

/// <summary>
/// Reads of a version (from a receipt) while replication lags, against the three real zones: a version the serving zone does
/// not have yet is found on the zone that has it; a version that is on no reachable zone, with the zone that stored it down, is
/// "not replicated yet" (a distinct error), and "not found" only when every zone answered that it does not exist.
/// </summary>
[Collection(MultisiteCollection.Name)]
public sealed class ReplicationLagTests : MultisiteTest
{
    // The key ring's first key is created by the first write; it must be on every zone before a zone is made to lag.
    private async Task KeyRingOnEveryZoneAsync()
    {
        await using (var warm = Client(TimeSpan.FromSeconds(10), "z1", "z2", "z3"))
        {
            await warm.PutAsync("lag/first.bin", new MemoryStream(Random(100, seed: 10)), new HdsPutOptions { Context = Alice }, Ct);
        }

        await Server.KeyRingOnEveryZoneAsync(Bucket);
    }

    // A client whose sites are the zones in the given preference order.
    private HdsStorageClient Client(TimeSpan lagTimeout, params string[] zones) =>
        ZoneClient(zones, options => options.S3!.ReplicationLagTimeout = lagTimeout);

    [Fact]
    public async Task A_version_the_serving_zone_does_not_have_yet_is_read_from_the_zone_that_has_it()
    {
        await KeyRingOnEveryZoneAsync();
        await using var writer = Client(TimeSpan.FromSeconds(10), "z1", "z2", "z3");

        await MultisiteServer.GatewayAsync("pause-sync", "z2");
        var data = Random(80_000, seed: 11);
        var receipt = await writer.PutAsync("lag/read.bin", new MemoryStream(data), new HdsPutOptions { Context = Alice }, Ct);
        Assert.Null(await Server.HeadAsync("z2", Bucket, "msa/lag/read.bin", receipt.VersionId)); // z2 lags: it does not have it

        // A reader in the data centre of z2 (z2 preferred) reads the version of the receipt: served by another zone, verified.
        await using var reader = Client(TimeSpan.FromSeconds(10), "z2", "z3", "z1");
        var clock = Stopwatch.StartNew();
        var properties = await reader.GetPropertiesAsync("lag/read.bin", new HdsVersionOptions { VersionId = receipt.VersionId, Context = Alice }, Ct);
        Assert.Equal(receipt.VersionId, properties.VersionId);
        await using var download = await reader.GetAsync("lag/read.bin", new HdsGetOptions { Context = Alice, VersionId = receipt.VersionId }, Ct);
        Assert.Equal(data, await ReadAllAsync(download.Content));
        Output.WriteLine($"version missing on z2 read from another zone in {clock.ElapsedMilliseconds} ms");
    }

    [Fact]
    public async Task A_version_on_no_reachable_zone_is_not_replicated_yet_and_reads_once_its_zone_is_back()
    {
        await KeyRingOnEveryZoneAsync();
        await MultisiteServer.GatewayAsync("pause-sync", "z2");
        await MultisiteServer.GatewayAsync("pause-sync", "z3");
        StorageReceiptFacts written;
        await using (var writer = Client(TimeSpan.FromSeconds(10), "z1", "z2", "z3"))
        {
            var receipt = await writer.PutAsync("lag/stranded.bin", new MemoryStream(Random(20_000, seed: 12)), new HdsPutOptions { Context = Alice }, Ct);
            written = new(receipt.VersionId, receipt.Sha256);
        }

        await MultisiteServer.GatewayAsync("kill", "z1");
        await using (var reader = Client(TimeSpan.FromSeconds(3), "z1", "z2", "z3"))
        {
            var clock = Stopwatch.StartNew();
            var error = await Assert.ThrowsAsync<HdsNotReplicatedException>(() =>
                reader.GetAsync("lag/stranded.bin", new HdsGetOptions { Context = Alice, VersionId = written.VersionId }, Ct));
            Output.WriteLine($"not replicated after {clock.ElapsedMilliseconds} ms: {error.Message}");
            Assert.Equal(HdsErrorCode.NotReplicated, error.ErrorCode);
            Assert.Contains("z1", error.Message, StringComparison.Ordinal);
        }

        await MultisiteServer.GatewayAsync("start", "z1");
        await MultisiteServer.GatewayAsync("resume-sync", "z2");
        await MultisiteServer.GatewayAsync("resume-sync", "z3");
        await using (var reader = Client(TimeSpan.FromSeconds(10), "z2", "z3", "z1"))
        {
            var verified = await reader.VerifyAsync("lag/stranded.bin", new HdsVerifyOptions { Context = Alice, VersionId = written.VersionId }, Ct);
            Assert.Equal(written.Sha256, verified.Sha256);
        }
    }

    [Fact]
    public async Task A_version_that_no_zone_has_while_all_answer_is_not_found_after_the_bound()
    {
        await using var client = Client(TimeSpan.FromSeconds(2), "z1", "z2", "z3");
        var receipt = await client.PutAsync("lag/exists.bin", new MemoryStream(Random(1000, seed: 13)), new HdsPutOptions { Context = Alice }, Ct);
        var clock = Stopwatch.StartNew();
        // A version id of the right shape that no zone has (a version of another key).
        await Assert.ThrowsAsync<HdsObjectNotFoundException>(() =>
            client.GetPropertiesAsync("lag/never.bin", new HdsVersionOptions { VersionId = receipt.VersionId, Context = Alice }, Ct));
        Output.WriteLine($"not found after {clock.ElapsedMilliseconds} ms (bound 2 s)");
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(2), "every zone is asked again until the bound before the version is declared absent");
    }

    private sealed record StorageReceiptFacts(string VersionId, string Sha256);
}
