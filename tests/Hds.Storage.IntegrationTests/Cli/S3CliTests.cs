using Amazon.S3.Model;

namespace Hds.Storage.IntegrationTests.Cli;

/// <summary>The CLI contract against a real S3 server (Ceph RGW of tests/s3-server), plus what only S3 can show.</summary>
public sealed class S3CliTests(S3CliBackend backend) : CliContractTests<S3CliBackend>(backend)
{
    [Fact]
    public async Task Bucket_check_of_a_bucket_without_object_lock_exits_2()
    {
        var plain = "hds-cli-plain-" + Guid.NewGuid().ToString("N")[..16];
        using (var s3 = Backend.CreateRawClient())
        {
            await s3.PutBucketAsync(new PutBucketRequest { BucketName = plain }, TestContext.Current.CancellationToken);
        }

        var check = await Raw(["--endpoint", Backend.EndpointA, "--bucket", plain, "bucket", "check", .. Context, .. S3CliBackend.CertificateArgs]);

        AssertError(2, "Configuration", check);
        Assert.False(check.Json().GetProperty("objectLockEnabled").GetBoolean());
        Assert.False(check.Json().GetProperty("compliant").GetBoolean());
    }

    [Fact]
    public async Task A_bucket_that_does_not_exist_exits_2()
    {
        AssertError(2, "Configuration", await Raw(["--endpoint", Backend.EndpointA, "--bucket", "hds-cli-absent-" + Guid.NewGuid().ToString("N")[..12], "bucket", "check", .. Context, .. S3CliBackend.CertificateArgs]));
    }

    [Fact]
    public async Task Bucket_create_makes_a_compliant_bucket_on_the_first_endpoint()
    {
        var name = "hds-cli-new-" + Guid.NewGuid().ToString("N")[..16];

        var created = await Raw(["--endpoint", Backend.EndpointA, "bucket", "create", name, .. Context, .. S3CliBackend.CertificateArgs]);

        AssertExit(0, created);
        Assert.True(created.Json().GetProperty("compliant").GetBoolean());
        AssertExit(0, await Raw(["--endpoint", Backend.EndpointB, "--bucket", name, "bucket", "check", .. Context, .. S3CliBackend.CertificateArgs]));
    }

    [Fact]
    public async Task Wrong_credentials_exit_3()
    {
        var result = await CliRunner.RunAsync(
            ["bucket", "check", .. Backend.BackendArgs, .. Context],
            environment: new Dictionary<string, string>
            {
                ["AWS_ACCESS_KEY_ID"] = Backend.Environment["AWS_ACCESS_KEY_ID"],
                ["AWS_SECRET_ACCESS_KEY"] = "not-the-secret",
            });

        AssertError(3, "AccessDenied", result);
    }

    [Fact]
    public async Task An_unreachable_endpoint_exits_7()
    {
        AssertError(7, "BackendUnavailable", await Raw(["--endpoint", "http://127.0.0.1:9", "--failover-timeout", "3", "--bucket", Backend.Bucket, "bucket", "check", .. Context, .. S3CliBackend.CertificateArgs]));
    }

    [Fact]
    public async Task Sites_given_with_site_store_and_read_and_the_read_only_backup_site_is_accepted()
    {
        string[] sites = ["--site", $"backup={Backend.EndpointB},0,ro", "--site", $"primary={Backend.EndpointA},1", "--bucket", Backend.Bucket, .. S3CliBackend.CertificateArgs];
        string[] context = ["--actor", "agent-1", "--tenant", Tenant, "--purpose", "care"];
        var content = RandomBytes(3000);
        var key = Prefix + "sites.bin";

        AssertExit(0, await Raw(["put", WriteInput(content), key, .. sites, .. context]));
        var output = Path.Combine(WorkDir, "sites.out");
        AssertExit(0, await Raw(["get", key, "--out", output, .. sites, .. context]));

        Assert.Equal(content, await File.ReadAllBytesAsync(output, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Every_site_down_exits_7_within_the_failover_timeout()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();

        var result = await Raw(["--site", "x=http://127.0.0.1:9", "--site", "y=http://127.0.0.1:19,1", "--failover-timeout", "2", "--bucket", Backend.Bucket, "bucket", "check", .. Context, .. S3CliBackend.CertificateArgs]);

        AssertError(7, "BackendUnavailable", result);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"took {clock.Elapsed}");
    }

    [Theory]
    [InlineData("no-url")]
    [InlineData("x=ftp://127.0.0.1:1")]
    [InlineData("x=http://127.0.0.1:1,high")]
    public async Task A_malformed_site_exits_1(string site)
    {
        AssertError(1, "InvalidRequest", await Raw(["--site", site, "--bucket", Backend.Bucket, "bucket", "check", .. Context, .. S3CliBackend.CertificateArgs]));
    }

    [Fact]
    public async Task Site_and_endpoint_together_exit_1()
    {
        AssertError(1, "InvalidRequest", await Raw(["--site", $"x={Backend.EndpointA}", "--endpoint", Backend.EndpointB, "--bucket", Backend.Bucket, "bucket", "check", .. Context, .. S3CliBackend.CertificateArgs]));
    }
}
