using System.Text.Json;
using Amazon.S3.Model;
using Hds.Storage.IntegrationTests.Cli;
using Hds.Storage.IntegrationTests.Infrastructure;

namespace Hds.Storage.IntegrationTests.Multisite;

/// <summary>
/// <c>hds sites status</c> on the three real zones (issue 16): roles, reachability, bucket settings per zone and the replication lag
/// measured with probe objects; a zone whose replication is paused is reported lagging (exit 9), a stopped zone unreachable (exit 7).
/// </summary>
[Collection(MultisiteCollection.Name)]
public sealed class SitesStatusTests : MultisiteTest
{
    private string[] Status(params string[] extra) =>
    [
        "--site", $"z1={Server.Endpoint("z1")},0,master", "--site", $"z2={Server.Endpoint("z2")},1", "--site", $"z3={Server.Endpoint("z3")},2,ro",
        "--bucket", Bucket, "sites", "status", "-o", "json", .. extra,
    ];

    private Dictionary<string, string> Environment => new() { ["AWS_ACCESS_KEY_ID"] = Server.AccessKey, ["AWS_SECRET_ACCESS_KEY"] = Server.SecretKey };

    [Fact]
    public async Task Sites_status_measures_the_lag_of_every_zone_and_tells_a_lagging_zone_from_a_stopped_one()
    {
        var healthy = await CliRunner.RunAsync(Status("--probes", "3"), environment: Environment);
        Assert.True(healthy.ExitCode == 0, healthy.ToString());
        var sites = Sites(healthy);
        Assert.Equal(["master", "secondary", "backup"], sites.Select(s => s.GetProperty("role").GetString()));
        Assert.All(sites, s => Assert.True(s.GetProperty("reachable").GetBoolean() && s.GetProperty("objectLockEnabled").GetBoolean()));
        Assert.True(sites[0].GetProperty("probeWrittenHere").GetBoolean()); // the first writable zone; z3 is read-only
        foreach (var replica in sites.Skip(1))
        {
            Assert.Equal(3, replica.GetProperty("probesSeen").GetInt32());
            Assert.Equal(0, replica.GetProperty("probesSeenWithoutLock").GetInt32());
            Assert.True(replica.GetProperty("lagP50Ms").GetDouble() > 0);
            Assert.True(replica.GetProperty("lagMaxMs").GetDouble() >= replica.GetProperty("lagP95Ms").GetDouble());
        }

        // What the probe left, as a plain S3 client sees it on z1: random bytes under the reserved prefix, locked explicitly.
        using (var z1 = Server.PlainClient("z1"))
        {
            var versions = await z1.ListVersionsAsync(new ListVersionsRequest { BucketName = Bucket, Prefix = "_hds/probe/" }, Ct);
            Assert.Equal(3, versions.Versions.Count);
            var head = await z1.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = Bucket, Key = versions.Versions[0].Key, VersionId = versions.Versions[0].VersionId }, Ct);
            Assert.Equal(32, head.ContentLength);
            Assert.Equal(Amazon.S3.ObjectLockMode.Governance, head.ObjectLockMode);
        }

        // z3 stops replicating: its probes never arrive within the timeout.
        await MultisiteServer.GatewayAsync("pause-sync", "z3");
        var lagging = await CliRunner.RunAsync(Status("--probe-timeout", "3"), environment: Environment);
        Assert.True(lagging.ExitCode == 9, lagging.ToString());
        Assert.Equal(1, Sites(lagging)[2].GetProperty("probesNotSeen").GetInt32());
        Assert.Contains("z3 did not receive a probe", lagging.Stderr, StringComparison.Ordinal);

        // z2's gateway stops: unreachable, named; the others still measured.
        await MultisiteServer.GatewayAsync("stop", "z2");
        var down = await CliRunner.RunAsync(Status("--probes", "0"), environment: Environment);
        Assert.True(down.ExitCode == 7, down.ToString());
        var downSites = Sites(down);
        Assert.False(downSites[1].GetProperty("reachable").GetBoolean());
        Assert.True(downSites[0].GetProperty("reachable").GetBoolean());
        Assert.Contains("z2 do not answer", down.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_configuration_that_turns_the_lag_monitor_on_makes_no_cli_command_write_a_probe()
    {
        // A service's configuration shared with the CLI: the background monitor is the service's, a command writes no probe.
        var environment = new Dictionary<string, string>(Environment)
        {
            ["HdsStorage__S3__ReplicationLagProbeInterval"] = "00:00:01",
            ["HdsStorage__S3__AsynchronousReplication"] = "true",
        };
        string[] args =
        [
            "--site", $"z1={Server.Endpoint("z1")},0,master", "--site", $"z2={Server.Endpoint("z2")},1", "--bucket", Bucket,
            "bucket", "check", "--actor", "op-42", "--tenant", "msa", "--purpose", "audit", .. Hds.Storage.IntegrationTests.Cli.S3CliBackend.CertificateArgs,
        ];

        var check = await CliRunner.RunAsync(args, environment: environment);

        Assert.True(check.ExitCode == 0, check.ToString());
        using var z1 = Server.PlainClient("z1");
        var versions = await z1.ListVersionsAsync(new ListVersionsRequest { BucketName = Bucket, Prefix = "_hds/probe/" }, Ct);
        Assert.Empty(versions.Versions ?? []); // the SDK answers null for none
    }

    private static List<JsonElement> Sites(CliResult result) => [.. result.Json().GetProperty("sites").EnumerateArray()];
}
