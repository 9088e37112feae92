using Hds.Storage.Backends.S3;
using Hds.Storage.IntegrationTests.Infrastructure;
using Hds.Storage.Backends.S3.Sites;
using Microsoft.Extensions.Logging;

namespace Hds.Storage.IntegrationTests.Sites;

/// <summary>
/// The fault tests' own gateways c and d (same Ceph cluster as a and b, which the other tests share and which are never touched),
/// started before the first fault test and stopped after the last.
/// </summary>
public sealed class FaultGateways : IAsyncLifetime
{
    private static readonly Microsoft.Extensions.Logging.ILoggerFactory LoggerFactory =
        Microsoft.Extensions.Logging.LoggerFactory.Create(builder => builder.AddProvider(new TestOutputLoggerProvider()));

    public S3Server Server { get; private set; } = null!;

    public string Bucket { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Server = await S3Server.GetAsync();
        await EnsureRunningAsync();
        Bucket = await Server.CreateBucketAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await Gateways.StopAsync(Gateways.C);
        await Gateways.StopAsync(Gateways.D);
    }

    /// <summary>Starts c and d if a previous test left them down.</summary>
    public static async Task EnsureRunningAsync()
    {
        await Gateways.StartAsync(Gateways.C);
        await Gateways.StartAsync(Gateways.D);
    }

    public static HdsSiteOptions Site(string name, Uri url, int priority, bool readOnly = false) =>
        new() { Name = name, ServiceUrl = url, Priority = priority, ReadOnly = readOnly };

    /// <summary>A client over the given sites with failover settings fit for tests (short timeouts, fast probe).</summary>
    public HdsStorageClient CreateClient(TimeSpan? failoverTimeout = null, TimeSpan? requestTimeout = null, params HdsSiteOptions[] sites) =>
        CreateClient(Server, Bucket, failoverTimeout, requestTimeout, sites);

    /// <summary>A client over the given sites of <paramref name="server"/> with failover settings fit for tests.</summary>
    public static HdsStorageClient CreateClient(S3Server server, string bucket, TimeSpan? failoverTimeout, TimeSpan? requestTimeout, params HdsSiteOptions[] sites) =>
        CreateClient(server, bucket, failoverTimeout, requestTimeout, null, sites);

    /// <summary>As the other overload, with the S3 options adjusted by <paramref name="configure"/> before the client is built.</summary>
    public static HdsStorageClient CreateClient(
        S3Server server, string bucket, TimeSpan? failoverTimeout, TimeSpan? requestTimeout, Action<HdsS3StorageOptions>? configure, params HdsSiteOptions[] sites)
    {
        var s3 = new HdsS3StorageOptions
        {
            Bucket = bucket,
            AccessKey = server.AccessKey,
            SecretKey = server.SecretKey,
            PartSize = HdsS3StorageOptions.MinimumPartSize,
            MultipartThreshold = HdsS3StorageOptions.MinimumPartSize,
            FailoverTimeout = failoverTimeout ?? TimeSpan.FromSeconds(20),
            RequestTimeout = requestTimeout ?? TimeSpan.FromSeconds(10),
            CircuitBreakDuration = TimeSpan.FromSeconds(2),
            HealthProbeInterval = TimeSpan.FromMilliseconds(500),
        };
        foreach (var site in sites)
        {
            s3.Sites.Add(site);
        }

        configure?.Invoke(s3);

        var options = new HdsStorageOptions { S3 = s3 };
        TestCertificates.Apply(options);
        return new HdsStorageClient(options, TimeProvider.System, LoggerFactory);
    }

    internal static SiteRouter Router(HdsStorageClient client) => ((S3Backend)client.Backend).Sites;
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SiteFaultCollection : ICollectionFixture<FaultGateways>
{
    public const string Name = "Site faults";
}
