using System.Diagnostics;
using Amazon.S3;
using Hds.Storage.Access;
using Hds.Storage.Audit;
using Hds.Storage.IntegrationTests.Cli;
using Hds.Storage.IntegrationTests.Infrastructure;
using Hds.Storage.Models;
using static Hds.Storage.IntegrationTests.Infrastructure.TestContent;

namespace Hds.Storage.IntegrationTests.Multisite;

/// <summary>
/// Acknowledgement on N sites against three real replicating RGW zones (tests/s3-server/start.sh --multisite): a write asked to
/// be on two sites returns only when a plain S3 client sees the version, locked COMPLIANCE, on a second zone; when replication
/// cannot bring it there in time the write is a distinct, typed outcome whose receipt says where the version is.
/// Replication is paused by restarting a zone's gateway without its sync thread (gateway.sh --multisite pause-sync).
/// </summary>
[Collection(MultisiteCollection.Name)]
public sealed class AcknowledgementTests : MultisiteTest
{
    private HdsStorageClient Client(Action<HdsStorageOptions>? configure = null)
    {
        var options = new HdsStorageOptions { S3 = Server.Options(Bucket) };
        TestCertificates.Apply(options);
        configure?.Invoke(options);
        return new HdsStorageClient(options);
    }

    [Fact]
    public async Task A_write_acknowledged_on_two_sites_is_already_on_a_second_zone_locked_compliance_when_it_returns()
    {
        await using var client = Client();
        var data = Random(300_000, seed: 1);
        var clock = Stopwatch.StartNew();
        var receipt = await client.PutAsync("ack/two.bin", new MemoryStream(data), new HdsPutOptions { Context = Alice, AcknowledgementSites = 2 }, Ct);
        Output.WriteLine($"put acknowledged on {string.Join(", ", receipt.ConfirmedSites)} in {clock.ElapsedMilliseconds} ms");

        Assert.Equal(2, receipt.ConfirmedSites.Count);
        Assert.Equal("z1", receipt.ConfirmedSites[0]);
        var second = receipt.ConfirmedSites[1];
        Assert.Contains(second, new[] { "z2", "z3" });

        // At once, with no waiting: the second zone holds exactly that version, with the stored length and the lock.
        var head = await Server.HeadAsync(second, Bucket, "msa/ack/two.bin", receipt.VersionId);
        Assert.NotNull(head);
        Assert.Equal(receipt.VersionId, head.VersionId);
        Assert.Equal(receipt.StoredSize, head.ContentLength);
        Assert.Equal(ObjectLockMode.Compliance, head.ObjectLockMode);
        Assert.True(new DateTimeOffset(DateTime.SpecifyKind(head.ObjectLockRetainUntilDate!.Value, DateTimeKind.Utc)) >= receipt.RetainUntil.AddSeconds(-1));

        // And the document reads back verified from that zone alone.
        var onSecond = new HdsStorageOptions { S3 = Server.Options(Bucket) };
        onSecond.S3!.Sites.Clear();
        onSecond.S3.Sites.Add(new Hds.Storage.HdsSiteOptions { Name = second, ServiceUrl = Server.Endpoint(second) });
        TestCertificates.Apply(onSecond);
        await using var reader = new HdsStorageClient(onSecond);
        await using var download = await reader.GetAsync("ack/two.bin", new HdsGetOptions { Context = Alice, VersionId = receipt.VersionId }, Ct);
        Assert.Equal(data, await ReadAllAsync(download.Content));
    }

    [Fact]
    public async Task A_write_that_no_other_zone_receives_in_time_is_not_geo_durable_names_its_one_site_is_audited_and_replicates_later()
    {
        await MultisiteServer.GatewayAsync("pause-sync", "z2");
        await MultisiteServer.GatewayAsync("pause-sync", "z3");
        HdsStorageReceipt receipt;
        try
        {
            await using var client = Client(o => o.S3!.AcknowledgementTimeout = TimeSpan.FromSeconds(4));
            var clock = Stopwatch.StartNew();
            var error = await Assert.ThrowsAsync<HdsNotGeoDurableException>(() =>
                client.PutAsync("ack/lagging.bin", new MemoryStream(Random(50_000, seed: 2)), new HdsPutOptions { Context = Alice, AcknowledgementSites = 2 }, Ct));
            Output.WriteLine($"not geo-durable after {clock.ElapsedMilliseconds} ms: {error.Message}");
            Assert.Equal(HdsErrorCode.NotGeoDurable, error.ErrorCode);
            Assert.Equal(2, error.RequiredSites);
            receipt = error.Receipt;
            Assert.Equal(["z1"], receipt.ConfirmedSites);

            // Stored and locked on the site that took it, not on the lagging ones.
            var onZ1 = await Server.HeadAsync("z1", Bucket, "msa/ack/lagging.bin", receipt.VersionId);
            Assert.Equal(ObjectLockMode.Compliance, onZ1!.ObjectLockMode);
            Assert.Null(await Server.HeadAsync("z2", Bucket, "msa/ack/lagging.bin", receipt.VersionId));

            // The trail names the version: it exists, so it is recorded as stored, with why the write did not return normally.
            var records = await client.GetRecentAuditRecordsAsync(20, new HdsRequestOptions { Context = Alice with { Purpose = "audit", Role = "auditor" } }, Ct);
            var put = Assert.Single(records, r => r.Operation == HdsOperation.Put && r.Key == "ack/lagging.bin");
            Assert.Equal(HdsAuditOutcome.Succeeded, put.Outcome);
            Assert.Equal("not-geo-durable", put.Reason);
            Assert.Equal(receipt.VersionId, put.VersionId);
            Assert.Equal("z1", put.Site);
        }
        finally
        {
            await MultisiteServer.GatewayAsync("resume-sync", "z2");
            await MultisiteServer.GatewayAsync("resume-sync", "z3");
        }

        // Replication resumed: the same version, still locked, reaches the other zones.
        var catchUp = Stopwatch.StartNew();
        foreach (var zone in new[] { "z2", "z3" })
        {
            await Eventually.Async(
                async () => await Server.HeadAsync(zone, Bucket, "msa/ack/lagging.bin", receipt.VersionId) is { ObjectLockMode: var mode } && mode == ObjectLockMode.Compliance,
                TimeSpan.FromSeconds(120), $"the version replicated, locked, on {zone}");
        }

        Output.WriteLine($"caught up on z2 and z3 {catchUp.ElapsedMilliseconds} ms after replication resumed");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(4)]
    public async Task Asking_for_more_sites_than_exist_or_fewer_than_one_is_an_invalid_request_and_writes_nothing(int sites)
    {
        await using var client = Client();
        var error = await Assert.ThrowsAsync<HdsInvalidRequestException>(() =>
            client.PutAsync("ack/invalid.bin", new MemoryStream(Random(1000, seed: 3)), new HdsPutOptions { Context = Alice, AcknowledgementSites = sites }, Ct));
        Assert.Contains("AcknowledgementSites", error.Message, StringComparison.Ordinal);
        using var s3 = Server.PlainClient("z1");
        var versions = await s3.ListVersionsAsync(new Amazon.S3.Model.ListVersionsRequest { BucketName = Bucket, Prefix = "msa/ack/invalid.bin" }, Ct);
        Assert.Empty(versions.Versions ?? []);
    }

    [Fact]
    public async Task The_embedded_store_has_one_site_so_asking_for_two_is_an_invalid_request()
    {
        var directory = Directory.CreateTempSubdirectory("hds-ack-");
        await using var client = new HdsStorageClient(new HdsStorageOptions { Local = new Hds.Storage.HdsLocalStorageOptions { Path = directory.FullName } });
        await Assert.ThrowsAsync<HdsInvalidRequestException>(() =>
            client.PutAsync("ack/local.bin", new MemoryStream(Random(1000, seed: 4)), new HdsPutOptions { Context = Alice, AcknowledgementSites = 2 }, Ct));
        var receipt = await client.PutAsync("ack/local.bin", new MemoryStream(Random(1000, seed: 4)), new HdsPutOptions { Context = Alice, AcknowledgementSites = 1 }, Ct);
        Assert.Equal(["local"], receipt.ConfirmedSites);
        Assert.Single(await client.GetVersionsAsync("ack/local.bin", new HdsRequestOptions { Context = Alice }, Ct).ToListAsync(Ct));
    }

    [Fact]
    public async Task Cli_put_with_ack_sites_2_returns_when_a_plain_client_sees_the_version_locked_on_a_second_zone_and_exits_8_when_none_can()
    {
        var environment = new Dictionary<string, string> { ["AWS_ACCESS_KEY_ID"] = Server.AccessKey, ["AWS_SECRET_ACCESS_KEY"] = Server.SecretKey };
        string[] backend =
        [
            "--site", $"z1={Server.Endpoint("z1")},0", "--site", $"z2={Server.Endpoint("z2")},1", "--site", $"z3={Server.Endpoint("z3")},2",
            "--bucket", Bucket, .. S3CliBackend.CertificateArgs, "--actor", "agent-4711", "--tenant", "msa", "--purpose", "claim-processing", "-o", "json",
        ];
        var file = Path.Combine(Directory.CreateTempSubdirectory("hds-ack-cli-").FullName, "form.pdf");
        await File.WriteAllBytesAsync(file, Random(120_000, seed: 5), Ct);

        var put = await CliRunner.RunAsync(["put", file, "ack/cli.pdf", "--ack-sites", "2", .. backend], environment: environment);
        Assert.True(put.ExitCode == 0, put.ToString());
        var receipt = put.Json();
        var versionId = receipt.GetProperty("versionId").GetString()!;
        var sites = receipt.GetProperty("confirmedSites").EnumerateArray().Select(e => e.GetString()!).ToList();
        Assert.Equal(2, sites.Count);
        var head = await Server.HeadAsync(sites[1], Bucket, "msa/ack/cli.pdf", versionId);
        Assert.Equal(ObjectLockMode.Compliance, head!.ObjectLockMode);

        await MultisiteServer.GatewayAsync("pause-sync", "z2");
        await MultisiteServer.GatewayAsync("pause-sync", "z3");
        try
        {
            var lagging = await CliRunner.RunAsync(["put", file, "ack/cli-lagging.pdf", "--ack-sites", "2", .. backend],
                environment: new Dictionary<string, string>(environment) { ["HdsStorage__S3__AcknowledgementTimeout"] = "00:00:03" });
            Assert.True(lagging.ExitCode == 8, lagging.ToString());
            Assert.Contains("error: NotGeoDurable:", lagging.Stderr, StringComparison.Ordinal);
            var kept = lagging.Json(); // the receipt is still printed: the version exists and is locked
            Assert.Equal(["z1"], kept.GetProperty("confirmedSites").EnumerateArray().Select(e => e.GetString()!));
            Assert.NotNull(await Server.HeadAsync("z1", Bucket, "msa/ack/cli-lagging.pdf", kept.GetProperty("versionId").GetString()!));
        }
        finally
        {
            await MultisiteServer.GatewayAsync("resume-sync", "z2");
            await MultisiteServer.GatewayAsync("resume-sync", "z3");
        }
    }
}
