using System.Diagnostics;
using System.Net.Sockets;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Hds.Storage.Backends.S3;

namespace Hds.Storage.IntegrationTests.Infrastructure;

/// <summary>
/// Three replicating data centres: the Ceph RGW multisite cluster of tests/s3-server/start.sh --multisite (zones z1 = metadata
/// master, z2, z3, each with its own gateway, real asynchronous replication between them). Started once per test run when a
/// test needs it, never skipped. Tests that stop a gateway or pause a zone's replication run in the "multisite" collection
/// (one at a time) and restore the zone before they end.
/// </summary>
public sealed class MultisiteServer
{
    public static readonly string[] Zones = ["z1", "z2", "z3"];

    private static readonly Lazy<Task<MultisiteServer>> Shared = new(StartAsync);

    private Dictionary<string, string> _env = new(StringComparer.Ordinal);

    private MultisiteServer()
    {
    }

    public static Task<MultisiteServer> GetAsync() => Shared.Value;

    public Uri Endpoint(string zone) => new(_env["HDS_S3_ZONE_" + zone[1..]]);

    public string AccessKey => _env["AWS_ACCESS_KEY_ID"];

    public string SecretKey => _env["AWS_SECRET_ACCESS_KEY"];

    /// <summary>The SDK's options with the three zones as sites, z1 preferred.</summary>
    public HdsS3StorageOptions Options(string bucket)
    {
        var options = new HdsS3StorageOptions
        {
            Bucket = bucket,
            AccessKey = AccessKey,
            SecretKey = SecretKey,
            PartSize = HdsS3StorageOptions.MinimumPartSize,
            MultipartThreshold = HdsS3StorageOptions.MinimumPartSize,
            FailoverTimeout = TimeSpan.FromSeconds(20),
            AsynchronousReplication = true,
            RequestTimeout = TimeSpan.FromSeconds(20),
        };
        for (var i = 0; i < Zones.Length; i++)
        {
            options.Sites.Add(new HdsSiteOptions { Name = Zones[i], ServiceUrl = Endpoint(Zones[i]), Priority = i });
        }

        return options;
    }

    /// <summary>A plain AWS SDK client on one zone, to see what that zone holds without going through the SDK under test.</summary>
    public AmazonS3Client PlainClient(string zone) => new(
        new BasicAWSCredentials(AccessKey, SecretKey),
        new AmazonS3Config
        {
            ServiceURL = Endpoint(zone).ToString(),
            ForcePathStyle = true,
            AuthenticationRegion = "us-east-1",
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
            MaxErrorRetry = 0,
            Timeout = TimeSpan.FromSeconds(10),
        });

    /// <summary>Creates an object-lock bucket on the master zone and waits until every zone knows it (metadata sync).</summary>
    public async Task<string> CreateBucketAsync()
    {
        var name = "hds-ms-" + Guid.NewGuid().ToString("N")[..20];
        // Right after a zone restarts, the master can take longer than a request timeout to commit a bucket's metadata (seen once
        // in a full run under load): the creation is retried (idempotent: a bucket already ours is what was asked).
        using (var master = PlainClient("z1"))
        {
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    await master.PutBucketAsync(new PutBucketRequest { BucketName = name, ObjectLockEnabledForBucket = true });
                    break;
                }
                catch (AmazonS3Exception ex) when (ex.ErrorCode == "BucketAlreadyOwnedByYou")
                {
                    break;
                }
                catch (Exception ex) when (attempt < 4 && ex is TimeoutException or TaskCanceledException or AmazonServiceException { StatusCode: >= System.Net.HttpStatusCode.InternalServerError })
                {
                    await Task.Delay(TimeSpan.FromSeconds(2));
                }
            }
        }

        foreach (var zone in Zones)
        {
            using var s3 = PlainClient(zone);
            await Eventually.Async(async () =>
            {
                var versioning = await s3.GetBucketVersioningAsync(new GetBucketVersioningRequest { BucketName = name });
                return versioning.VersioningConfig?.Status == VersionStatus.Enabled;
            }, TimeSpan.FromSeconds(60), $"bucket {name} known and versioned on {zone}");
        }

        return name;
    }

    /// <summary>
    /// Waits until the key ring (<c>_hds/keys/</c>, created by the bucket's first write) is the same on every zone: a key created while
    /// a zone lags is unknown there (docs/operations.md), which is not what the lag tests are about.
    /// </summary>
    public async Task KeyRingOnEveryZoneAsync(string bucket, string writtenOn = "z1")
    {
        using var source = PlainClient(writtenOn);
        var keys = ((await source.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, Prefix = "_hds/keys/" })).S3Objects ?? [])
            .Select(o => o.Key).Order().ToList();
        if (keys.Count == 0)
        {
            throw new InvalidOperationException($"No key-ring entry on {writtenOn}: write a first document before waiting for the key ring.");
        }

        foreach (var zone in Zones.Where(z => z != writtenOn))
        {
            using var s3 = PlainClient(zone);
            await Eventually.Async(
                async () => ((await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, Prefix = "_hds/keys/" })).S3Objects ?? [])
                    .Select(o => o.Key).Order().SequenceEqual(keys),
                TimeSpan.FromSeconds(120), $"the key ring replicated to {zone}");
        }
    }

    /// <summary>
    /// Waits until every zone holds the same versions under <paramref name="prefix"/> (each zone lists the union of what was written
    /// on any of them): replication caught up for, say, the audit trail written across an outage.
    /// </summary>
    public async Task SameVersionsOnEveryZoneAsync(string bucket, string prefix)
    {
        async Task<HashSet<string>> VersionsAsync(string zone)
        {
            using var s3 = PlainClient(zone);
            var found = new HashSet<string>(StringComparer.Ordinal);
            var request = new ListVersionsRequest { BucketName = bucket, Prefix = prefix };
            ListVersionsResponse page;
            do
            {
                page = await s3.ListVersionsAsync(request);
                found.UnionWith((page.Versions ?? []).Select(v => v.Key + "@" + v.VersionId));
                request.KeyMarker = page.NextKeyMarker;
                request.VersionIdMarker = page.NextVersionIdMarker;
            }
            while (page.IsTruncated == true);
            return found;
        }

        await Eventually.Async(
            async () =>
            {
                var sets = new List<HashSet<string>>();
                foreach (var zone in Zones)
                {
                    sets.Add(await VersionsAsync(zone));
                }

                return sets.All(s => s.SetEquals(sets[0]));
            },
            TimeSpan.FromSeconds(180), $"the same versions under {prefix} on every zone");
    }

    /// <summary>HEAD of one version on one zone: its lock, or null while the zone does not have it.</summary>
    public async Task<GetObjectMetadataResponse?> HeadAsync(string zone, string bucket, string key, string versionId)
    {
        using var s3 = PlainClient(zone);
        try
        {
            return await s3.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = bucket, Key = key, VersionId = versionId });
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    /// <summary>tests/s3-server/gateway.sh --multisite ACTION ZONE (start, stop, kill, pause-sync, resume-sync).</summary>
    public static Task GatewayAsync(string action, string zone) =>
        TestScripts.RunAsync("gateway.sh", ["--multisite", action, zone], TimeSpan.FromMinutes(4));

    /// <summary>Every zone's gateway running, replicating: what a test that stopped or paused one leaves behind, undone.</summary>
    public static async Task RestoreZonesAsync()
    {
        foreach (var zone in Zones)
        {
            await GatewayAsync("start", zone);
            await GatewayAsync("resume-sync", zone);
        }
    }

    private static async Task<MultisiteServer> StartAsync()
    {
        var server = new MultisiteServer();
        var envFile = Path.Combine(RepositoryPaths.S3ServerDirectory, ".env");
        // start.sh --multisite is idempotent (it also restarts nothing that runs): always call it, it only rewrites .env then
        await TestScripts.RunAsync("start.sh", ["--multisite"], TimeSpan.FromMinutes(15));
        server._env = File.ReadAllLines(envFile)
            .Where(l => l.Contains('=', StringComparison.Ordinal) && !l.StartsWith('#'))
            .Select(l => l.Split('=', 2))
            .ToDictionary(p => p[0].Trim(), p => p[1].Trim(), StringComparer.Ordinal);
        foreach (var zone in Zones)
        {
            var url = server.Endpoint(zone);
            using var tcp = new TcpClient();
            await tcp.ConnectAsync(url.Host, url.Port);
        }

        return server;
    }
}

/// <summary>Bounded polling for what replication makes true later.</summary>
public static class Eventually
{
    public static async Task Async(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var deadline = Stopwatch.StartNew();
        var pause = TimeSpan.FromMilliseconds(100);
        Exception? last = null;
        while (deadline.Elapsed < timeout)
        {
            try
            {
                if (await condition())
                {
                    return;
                }
            }
            catch (AmazonServiceException ex)
            {
                last = ex;
            }

            await Task.Delay(pause);
            pause = pause * 2 < TimeSpan.FromSeconds(1) ? pause * 2 : TimeSpan.FromSeconds(1);
        }

        throw new TimeoutException($"Not true within {timeout.TotalSeconds:0} s: {what}.", last);
    }
}
