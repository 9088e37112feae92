using Amazon.S3.Model;
using Hds.Storage.IntegrationTests.Cli;
using Hds.Storage.IntegrationTests.Infrastructure;

namespace Hds.Storage.IntegrationTests.Multisite;

/// <summary>
/// The bucket check with the metadata master zone (z1) down (issue 16): buckets and versioning need the master, data does not.
/// "Master unreachable" (exit 11) is told apart from "bucket not compliant" (exit 2) and from a healthy check (exit 0).
/// </summary>
[Collection(MultisiteCollection.Name)]
public sealed class MetadataMasterTests : MultisiteTest
{
    private string[] Backend(string bucket) =>
    [
        "--site", $"z1={Server.Endpoint("z1")},0,master", "--site", $"z2={Server.Endpoint("z2")},1", "--site", $"z3={Server.Endpoint("z3")},2",
        "--bucket", bucket, .. S3CliBackend.CertificateArgs, "--actor", "agent-4711", "--tenant", "msa", "--purpose", "claim-processing", "-o", "json",
    ];

    private Dictionary<string, string> Environment => new() { ["AWS_ACCESS_KEY_ID"] = Server.AccessKey, ["AWS_SECRET_ACCESS_KEY"] = Server.SecretKey };

    [Fact]
    public async Task Bucket_check_tells_the_metadata_master_down_from_a_bucket_that_is_not_compliant()
    {
        // A bucket without object lock, known to every zone, to compare with.
        var plain = "hds-ms-plain-" + Guid.NewGuid().ToString("N")[..12];
        using (var master = Server.PlainClient("z1"))
        {
            await master.PutBucketAsync(new PutBucketRequest { BucketName = plain }, Ct);
            await master.PutBucketVersioningAsync(
                new PutBucketVersioningRequest { BucketName = plain, VersioningConfig = new S3BucketVersioningConfig { Status = Amazon.S3.VersionStatus.Enabled } }, Ct);
        }

        foreach (var zone in MultisiteServer.Zones)
        {
            using var s3 = Server.PlainClient(zone);
            await Eventually.Async(async () => (await s3.GetBucketVersioningAsync(new GetBucketVersioningRequest { BucketName = plain }, Ct)).VersioningConfig?.Status == Amazon.S3.VersionStatus.Enabled,
                TimeSpan.FromSeconds(60), $"bucket {plain} versioned on {zone}");
        }

        var healthy = await CliRunner.RunAsync(["bucket", "check", .. Backend(Bucket)], environment: Environment);
        Assert.True(healthy.ExitCode == 0, healthy.ToString());
        Assert.True(healthy.Json().GetProperty("metadataMasterReachable").GetBoolean());

        await MultisiteServer.GatewayAsync("stop", "z1");

        var masterDown = await CliRunner.RunAsync(["bucket", "check", .. Backend(Bucket)], environment: Environment);
        Assert.True(masterDown.ExitCode == 11, masterDown.ToString());
        var report = masterDown.Json();
        Assert.True(report.GetProperty("compliant").GetBoolean()); // as z2 and z3 see it
        Assert.False(report.GetProperty("metadataMasterReachable").GetBoolean());
        Assert.Equal("z1", report.GetProperty("metadataMaster").GetString());
        Assert.Contains("metadata master site z1 does not answer", masterDown.Stderr, StringComparison.Ordinal);

        var notCompliant = await CliRunner.RunAsync(["bucket", "check", .. Backend(plain)], environment: Environment);
        Assert.True(notCompliant.ExitCode == 2, notCompliant.ToString());
        Assert.False(notCompliant.Json().GetProperty("compliant").GetBoolean());

        // The library answers the same, through the client.
        await using var client = ZoneClient(["z1", "z2", "z3"], options => options.S3!.Sites[0].MetadataMaster = true);
        var compliance = await client.CheckBucketAsync(new HdsRequestOptions { Context = Alice }, Ct);
        Assert.True(compliance.IsCompliant);
        Assert.False(compliance.MetadataMasterReachable);
    }
}
