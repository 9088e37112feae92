using Hds.Storage.Backends.Local;
using Hds.Storage.Backends.S3;
using Hds.Storage.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Hds.Storage.Tests.DependencyInjection;

/// <summary><c>services.AddHealthChecks().AddHdsStorage()</c>: the check of the registered client, as a host's HealthCheckService runs it.</summary>
public sealed class AddHdsStorageHealthCheckTests : IDisposable
{
    private const string Canary = "secret-canary-4711";

    private readonly string _store = Path.Combine(Path.GetTempPath(), "hds-health-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        foreach (var path in new[] { _store, _store + "-archive" }.Where(Directory.Exists))
        {
            foreach (var file in Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories))
            {
                File.SetAttributes(file, FileAttributes.Normal);
            }

            Directory.Delete(path, recursive: true);
        }
    }

    [Fact]
    public async Task The_embedded_store_is_reported_healthy_under_the_default_name()
    {
        var services = Services();
        services.AddHdsStorage(o => o.Local = new HdsLocalStorageOptions { Path = _store });
        services.AddHealthChecks().AddHdsStorage(tags: ["ready"]);
        await using var provider = services.BuildServiceProvider();

        var report = await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync(TestContext.Current.CancellationToken);

        var entry = Assert.Single(report.Entries);
        Assert.Equal("hds-storage", entry.Key);
        Assert.Equal(HealthStatus.Healthy, entry.Value.Status);
        Assert.Equal(["ready"], entry.Value.Tags);
        Assert.Contains("bucket compliant", entry.Value.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_storage_that_refuses_connections_is_unhealthy_says_so_and_shows_no_secret()
    {
        var services = Services();
        services.AddHdsStorage(Unreachable);
        services.AddHealthChecks().AddHdsStorage().AddHdsStorage("hds-storage-soft", failureStatus: HealthStatus.Degraded);
        await using var provider = services.BuildServiceProvider();

        var report = await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync(TestContext.Current.CancellationToken);

        var entry = report.Entries["hds-storage"];
        TestContext.Current.TestOutputHelper?.WriteLine(entry.Description + " " + string.Join(", ", entry.Data));
        Assert.Equal(HealthStatus.Unhealthy, entry.Status);
        Assert.Contains("unreachable", entry.Description, StringComparison.Ordinal);
        Assert.Contains("bucket", entry.Description, StringComparison.Ordinal);
        Assert.Equal(HealthStatus.Degraded, report.Entries["hds-storage-soft"].Status); // the registration's failure status
        var everything = string.Join(" ", report.Entries.Values.SelectMany(e => e.Data.Values.Select(v => v.ToString()).Append(e.Description)));
        Assert.DoesNotContain(Canary, everything, StringComparison.Ordinal);
        Assert.DoesNotContain("AKIA", everything, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_keyed_check_resolves_the_keyed_client()
    {
        var services = Services();
        services.AddHdsStorage(Unreachable);
        services.AddKeyedHdsStorage("archive", o => o.Local = new HdsLocalStorageOptions { Path = _store + "-archive" });
        services.AddHealthChecks().AddKeyedHdsStorage("archive");
        await using var provider = services.BuildServiceProvider();

        var report = await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync(TestContext.Current.CancellationToken);

        Assert.Equal(HealthStatus.Healthy, Assert.Single(report.Entries, e => e.Key == "hds-storage-archive").Value.Status); // not the unreachable default client
    }

    // HealthCheckService needs loggers; nothing else of a host.
    private static ServiceCollection Services()
    {
        var services = new ServiceCollection();
        services.AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance);
        services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
        return services;
    }

    // Port 9 (discard) on loopback: nothing listens, every connection is refused at once.
    private static void Unreachable(HdsStorageOptions options)
    {
        options.S3 = new HdsS3StorageOptions
        {
            ServiceUrl = new Uri("http://127.0.0.1:9"),
            Bucket = "documents",
            AccessKey = "AKIA" + Canary,
            SecretKey = Canary,
            FailoverTimeout = TimeSpan.FromSeconds(2),
        };
        options.Encryption.Certificates.Add(TestCertificates.Operational);
        options.Encryption.Certificates.Add(TestCertificates.PublicOnly(TestCertificates.Escrow));
        options.Audit.CheckpointCertificate = TestCertificates.AuditSigner;
    }
}
