using System.Diagnostics;
using Amazon.S3;
using Hds.Storage.IntegrationTests.Cli;
using Hds.Storage.IntegrationTests.Infrastructure;
using static Hds.Storage.IntegrationTests.Infrastructure.TestContent;

namespace Hds.Storage.IntegrationTests.Multisite;

/// <summary>
/// A data centre closes: zone z1's gateway (the preferred site, and the metadata master) is killed with SIGKILL; writes through
/// the CLI go on on the other zones, and once z1 is back, replication brings every one of them to it, same version ids, locked.
/// Times are printed (docs/benchmarks.md), never asserted.
/// </summary>
[Collection(MultisiteCollection.Name)]
public sealed class ZoneFailoverTests : MultisiteTest
{
    [Fact]
    public async Task With_zone_1_killed_20_cli_puts_succeed_on_the_other_zones_and_all_reach_zone_1_locked_with_the_same_version_ids()
    {
        var environment = new Dictionary<string, string> { ["AWS_ACCESS_KEY_ID"] = Server.AccessKey, ["AWS_SECRET_ACCESS_KEY"] = Server.SecretKey };
        string[] backend =
        [
            "--site", $"z1={Server.Endpoint("z1")},0", "--site", $"z2={Server.Endpoint("z2")},1", "--site", $"z3={Server.Endpoint("z3")},2",
            "--bucket", Bucket, .. S3CliBackend.CertificateArgs, "--actor", "agent-4711", "--tenant", "msa", "--purpose", "claim-processing",
            "--failover-timeout", "20", "-o", "json",
        ];
        var folder = Directory.CreateTempSubdirectory("hds-zone-kill-").FullName;

        // The key ring's first key is created before the kill, as in a running deployment (creating it needs no master, but a
        // fresh bucket's first write is not what this test is about).
        var first = Path.Combine(folder, "first.bin");
        await File.WriteAllBytesAsync(first, Random(1000, seed: 99), Ct);
        var warm = await CliRunner.RunAsync(["put", first, "zone-kill/first.bin", .. backend], environment: environment);
        Assert.True(warm.ExitCode == 0, warm.ToString());

        await MultisiteServer.GatewayAsync("kill", "z1");
        var killed = Stopwatch.StartNew();
        var written = new List<(string Key, string VersionId, string Site)>();
        TimeSpan? firstSuccess = null;
        for (var i = 0; i < 20; i++)
        {
            var file = Path.Combine(folder, $"{i}.bin");
            await File.WriteAllBytesAsync(file, Random(i == 7 ? (6 * MiB) + 3 : 10_000 + i, seed: i), Ct); // one multipart
            var key = $"zone-kill/{i}.bin";
            var put = await CliRunner.RunAsync(["put", file, key, .. backend], environment: environment);
            Assert.True(put.ExitCode == 0, $"put {i} with z1 down: {put}");
            firstSuccess ??= killed.Elapsed;
            var receipt = put.Json();
            var site = receipt.GetProperty("confirmedSites")[0].GetString()!;
            Assert.NotEqual("z1", site);
            written.Add((key, receipt.GetProperty("versionId").GetString()!, site));
        }

        Output.WriteLine($"z1 killed: first put succeeded {firstSuccess!.Value.TotalMilliseconds:0} ms after the kill (a CLI process start included); "
            + $"20 puts in {killed.Elapsed.TotalSeconds:0.0} s on {string.Join(", ", written.Select(w => w.Site).Distinct())}");

        var restart = Stopwatch.StartNew();
        await MultisiteServer.GatewayAsync("start", "z1");
        var answering = restart.Elapsed;
        foreach (var (key, versionId, _) in written)
        {
            await Eventually.Async(
                async () => await Server.HeadAsync("z1", Bucket, "msa/" + key, versionId) is { } head
                    && head.ObjectLockMode == ObjectLockMode.Compliance && head.ObjectLockRetainUntilDate > DateTime.UtcNow.AddYears(19),
                TimeSpan.FromSeconds(180), $"{key} version {versionId} on z1, locked COMPLIANCE");
        }

        Output.WriteLine($"z1 answered {answering.TotalSeconds:0.0} s after its restart; all 20 versions on z1, locked, {restart.Elapsed.TotalSeconds:0.0} s after it");

        // One version per key everywhere: no write was duplicated by the failover.
        using var z1 = Server.PlainClient("z1");
        var versions = await z1.ListVersionsAsync(new Amazon.S3.Model.ListVersionsRequest { BucketName = Bucket, Prefix = "msa/zone-kill/" }, Ct);
        foreach (var (key, versionId, _) in written)
        {
            Assert.Equal([versionId], versions.Versions.Where(v => v.Key == "msa/" + key).Select(v => v.VersionId));
        }
    }
}
