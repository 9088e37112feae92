using Hds.Storage.Access;
using Hds.Storage.IntegrationTests.Cli;
using Hds.Storage.IntegrationTests.Infrastructure;
using Hds.Storage.Backends.S3;
using Hds.Storage.Backends.S3.Sites;
using static Hds.Storage.IntegrationTests.Infrastructure.TestContent;
using Hds.Storage.Models;

namespace Hds.Storage.IntegrationTests.Multisite;

/// <summary>
/// One logical write (issue 16, deliverable 3): a partition leaves two physical versions of one write — z1 stored it, its answer
/// was cut and z1 could not be reached, and a client that does not ask z1 (configured without AsynchronousReplication, as for
/// gateways of one grid) stored the retry on a lagging z2. Once replication caught up every zone holds both. The version list
/// shows one, the audit trail one write, reads the same content, and verify (library and CLI) reports the duplicate.
/// </summary>
[Collection(MultisiteCollection.Name)]
public sealed class OneLogicalWriteTests : MultisiteTest
{
    [Fact]
    public async Task Two_physical_versions_of_one_attempt_are_presented_as_one_write_and_verify_reports_the_duplicate()
    {
        await using var proxy = new FaultProxy(Server.Endpoint("z1").Port);
        var options = new HdsStorageOptions { S3 = Server.Options(Bucket) };
        options.S3!.Sites.Clear();
        options.S3.Sites.Add(new HdsSiteOptions { Name = "z1", ServiceUrl = proxy.Url, Priority = 0 });
        options.S3.Sites.Add(new HdsSiteOptions { Name = "z2", ServiceUrl = Server.Endpoint("z2"), Priority = 1 });
        options.S3.Sites.Add(new HdsSiteOptions { Name = "z3", ServiceUrl = Server.Endpoint("z3"), Priority = 2 });
        options.S3.AsynchronousReplication = false; // the retry does not ask z1: the partition's second copy
        options.S3.HealthProbeInterval = TimeSpan.Zero;
        TestCertificates.Apply(options);
        await using var client = new HdsStorageClient(options);

        await client.PutAsync("dup/first.bin", new MemoryStream(Random(100, seed: 40)), new HdsPutOptions { Context = Alice }, Ct);
        await Server.KeyRingOnEveryZoneAsync(Bucket);

        await MultisiteServer.GatewayAsync("pause-sync", "z2");
        await MultisiteServer.GatewayAsync("pause-sync", "z3");
        proxy.CutResponseOf(line => line.StartsWith("PUT ", StringComparison.Ordinal) && line.Contains("/msa/dup/doc.bin", StringComparison.Ordinal),
            TimeSpan.FromSeconds(4));
        var data = Random(30_000, seed: 41);
        var receipt = await client.PutAsync("dup/doc.bin", new MemoryStream(data), new HdsPutOptions { Context = Alice }, Ct);
        Assert.True(proxy.Faults >= 1, "the answer was cut");
        await MultisiteServer.GatewayAsync("resume-sync", "z2");
        await MultisiteServer.GatewayAsync("resume-sync", "z3");

        // What the storage holds once replication caught up: two versions of the key on every zone, same bytes (ETag).
        foreach (var zone in MultisiteServer.Zones)
        {
            using var s3 = Server.PlainClient(zone);
            await Eventually.Async(async () =>
            {
                var listed = await s3.ListVersionsAsync(new Amazon.S3.Model.ListVersionsRequest { BucketName = Bucket, Prefix = "msa/dup/doc.bin" }, Ct);
                var versions = listed.Versions ?? [];
                return versions.Count == 2 && versions.Select(v => v.ETag).Distinct().Count() == 1;
            }, TimeSpan.FromSeconds(120), $"both physical versions of the write on {zone}");
        }

        string other;
        using (var z1 = Server.PlainClient("z1"))
        {
            var listed = await z1.ListVersionsAsync(new Amazon.S3.Model.ListVersionsRequest { BucketName = Bucket, Prefix = "msa/dup/doc.bin" }, Ct);
            other = Assert.Single(listed.Versions, v => v.VersionId != receipt.VersionId).VersionId;
        }

        // Presented as one write.
        var presented = await client.GetVersionsAsync("dup/doc.bin", new HdsRequestOptions { Context = Alice }, Ct).ToListAsync(Ct);
        Assert.Equal([receipt.VersionId], presented.Select(v => v.VersionId));
        var page = await client.ListPagesAsync("dup/", new HdsListOptions { Context = Alice }, Ct).FirstAsync(Ct);
        Assert.Single(page.Items, i => i.Key == "dup/doc.bin");
        await using (var latest = await client.GetAsync("dup/doc.bin", new HdsGetOptions { Context = Alice }, Ct))
        {
            Assert.Equal(data, await ReadAllAsync(latest.Content));
        }

        var auditor = new HdsRequestOptions { Context = Alice with { Purpose = "audit", Role = "auditor" } };
        var records = await client.GetRecentAuditRecordsAsync(50, auditor, Ct);
        Assert.Single(records, r => r.Operation == HdsOperation.Put && r.Key == "dup/doc.bin");

        // Verify reports the duplicate: library, then CLI (JSON).
        var verified = await client.VerifyAsync("dup/doc.bin", new HdsVerifyOptions { Context = Alice, Receipt = receipt }, Ct);
        Assert.Equal([other], verified.DuplicateVersionIds);

        var environment = new Dictionary<string, string> { ["AWS_ACCESS_KEY_ID"] = Server.AccessKey, ["AWS_SECRET_ACCESS_KEY"] = Server.SecretKey };
        var cli = await CliRunner.RunAsync(
        [
            "verify", "dup/doc.bin", "--version", receipt.VersionId,
            "--site", $"z1={Server.Endpoint("z1")},0", "--site", $"z2={Server.Endpoint("z2")},1", "--site", $"z3={Server.Endpoint("z3")},2",
            "--bucket", Bucket, .. S3CliBackend.CertificateArgs, "--actor", "agent-4711", "--tenant", "msa", "--purpose", "claim-processing", "-o", "json",
        ], environment: environment);
        Assert.True(cli.ExitCode == 0, cli.ToString());
        Assert.Equal([other], cli.Json().GetProperty("duplicateVersionIds").EnumerateArray().Select(e => e.GetString()!));
    }
}
