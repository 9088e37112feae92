using Hds.Storage.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Hds.Storage.IntegrationTests.Diagnostics;

/// <summary>
/// <c>AddHealthChecks().AddHdsStorage()</c> against the real Ceph RGW, as a host runs it: healthy on a compliant bucket; unhealthy,
/// saying what is wrong and what to do, on a bucket without object lock or a bucket that does not exist; never a credential.
/// </summary>
public sealed class HealthCheckRegistrationTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_compliant_bucket_is_healthy()
    {
        var server = await S3Server.GetAsync();

        var entry = await CheckAsync(server, await server.CreateBucketAsync());

        Assert.Equal(HealthStatus.Healthy, entry.Status);
    }

    [Fact]
    public async Task A_bucket_without_object_lock_is_unhealthy_and_the_report_says_why_without_credentials()
    {
        var server = await S3Server.GetAsync();
        var bucket = await server.CreateBucketAsync(objectLock: false);

        var entry = await CheckAsync(server, bucket);

        Assert.Equal(HealthStatus.Unhealthy, entry.Status);
        Assert.Contains($"bucket {bucket} is not fit for health data", entry.Description, StringComparison.Ordinal);
        Assert.Contains("object lock NOT enabled", entry.Description, StringComparison.Ordinal);
        Assert.Contains("hds bucket create", entry.Description, StringComparison.Ordinal);
        AssertNoCredentials(server, entry);
    }

    [Fact]
    public async Task A_bucket_that_does_not_exist_is_unhealthy_and_the_report_says_so()
    {
        var server = await S3Server.GetAsync();

        var entry = await CheckAsync(server, "hds-test-absent-" + Guid.NewGuid().ToString("N")[..12]);

        Assert.Equal(HealthStatus.Unhealthy, entry.Status);
        Assert.Contains("bucket does not exist", entry.Description, StringComparison.Ordinal);
        AssertNoCredentials(server, entry);
    }

    private static async Task<HealthReportEntry> CheckAsync(S3Server server, string bucket)
    {
        var services = new ServiceCollection().AddLogging();
        services.AddHdsStorage(o =>
        {
            o.S3 = server.Options(bucket);
            TestCertificates.Apply(o);
        });
        services.AddHealthChecks().AddHdsStorage();
        await using var provider = services.BuildServiceProvider();

        var report = await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync(Ct);

        var entry = report.Entries[HdsStorageHealthChecksBuilderExtensions.DefaultName];
        TestContext.Current.TestOutputHelper?.WriteLine($"{entry.Status}: {entry.Description}");
        return entry;
    }

    private static void AssertNoCredentials(S3Server server, HealthReportEntry entry)
    {
        var everything = string.Join(" ", entry.Data.Values.Select(v => v.ToString()).Append(entry.Description).Append(entry.Exception?.ToString()));
        Assert.DoesNotContain(server.SecretKey, everything, StringComparison.Ordinal);
        Assert.DoesNotContain(server.AccessKey, everything, StringComparison.Ordinal);
    }
}
