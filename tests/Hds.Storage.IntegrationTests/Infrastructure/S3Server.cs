using System.Diagnostics;
using System.Net.Sockets;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Hds.Storage.Backends.S3;

namespace Hds.Storage.IntegrationTests.Infrastructure;

/// <summary>
/// The real S3 server of the integration tests: a single-node Ceph cluster with two radosgw gateways, started by
/// tests/s3-server/start.sh (which installs Ceph when missing). Never skipped: when it is not running, it is started.
/// </summary>
public sealed class S3Server
{
    // Started at most once per test run, and only when a test needs it.
    private static readonly Lazy<Task<S3Server>> Shared = new(StartAsync);

    private Dictionary<string, string> _env = new(StringComparer.Ordinal);

    private S3Server()
    {
    }

    public static Task<S3Server> GetAsync() => Shared.Value;

    public Uri EndpointA => new(_env["HDS_S3_ENDPOINT_A"]);

    public Uri EndpointB => new(_env["HDS_S3_ENDPOINT_B"]);

    public string AccessKey => _env["AWS_ACCESS_KEY_ID"];

    public string SecretKey => _env["AWS_SECRET_ACCESS_KEY"];

    public IReadOnlyDictionary<string, string> Environment => _env;

    private static async Task<S3Server> StartAsync()
    {
        var server = new S3Server();
        await server.InitializeAsync().ConfigureAwait(false);
        return server;
    }

    private async Task InitializeAsync()
    {
        var envFile = Path.Combine(RepositoryPaths.S3ServerDirectory, ".env");
        if (!File.Exists(envFile) || !Answers(ReadEnv(envFile)))
        {
            await RunStartScriptAsync().ConfigureAwait(false);
        }

        _env = ReadEnv(envFile);
        if (!Answers(_env))
        {
            throw new InvalidOperationException("The S3 test server was started but does not answer on " + _env.GetValueOrDefault("HDS_S3_ENDPOINT_A"));
        }
    }

    public HdsS3StorageOptions Options(string bucket, Uri? endpoint = null) => new()
    {
        ServiceUrl = endpoint ?? EndpointA,
        Bucket = bucket,
        AccessKey = AccessKey,
        SecretKey = SecretKey,
        PartSize = HdsS3StorageOptions.MinimumPartSize,
        MultipartThreshold = HdsS3StorageOptions.MinimumPartSize,
    };

    /// <summary>A plain AWS SDK client, to check what the SDK under test stored without going through it.</summary>
    public AmazonS3Client PlainClient(Uri? endpoint = null) => new(
        new BasicAWSCredentials(AccessKey, SecretKey),
        new AmazonS3Config
        {
            ServiceURL = (endpoint ?? EndpointA).ToString(),
            ForcePathStyle = true,
            AuthenticationRegion = "us-east-1",
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        });

    public async Task<string> CreateBucketAsync(bool objectLock = true)
    {
        var name = "hds-test-" + Guid.NewGuid().ToString("N")[..20];
        using var s3 = PlainClient();
        await s3.PutBucketAsync(new PutBucketRequest { BucketName = name, ObjectLockEnabledForBucket = objectLock }).ConfigureAwait(false);
        return name;
    }

    private static Dictionary<string, string> ReadEnv(string file) =>
        File.ReadAllLines(file)
            .Where(l => l.Contains('=', StringComparison.Ordinal) && !l.StartsWith('#'))
            .Select(l => l.Split('=', 2))
            .ToDictionary(p => p[0].Trim(), p => p[1].Trim(), StringComparer.Ordinal);

    private static bool Answers(Dictionary<string, string> env)
    {
        foreach (var name in new[] { "HDS_S3_ENDPOINT_A", "HDS_S3_ENDPOINT_B" })
        {
            if (!env.TryGetValue(name, out var url))
            {
                return false;
            }

            try
            {
                var uri = new Uri(url);
                using var tcp = new TcpClient();
                tcp.Connect(uri.Host, uri.Port);
            }
            catch (SocketException)
            {
                return false;
            }
        }

        return true;
    }

    private static Task RunStartScriptAsync() => TestScripts.RunAsync("start.sh", [], TimeSpan.FromMinutes(15));
}
