using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Hds.Storage.Backends.S3;
using Hds.Storage.Backends.S3.Sites;

namespace Hds.Storage.Cli.Sites;

/// <summary>
/// What <c>hds sites status</c> measures, per site, with the CLI's S3 settings: whether it answers, its role, whether its bucket has
/// versioning and object lock, and the replication lag measured with the library's probe (<see cref="ReplicationProbe"/>, the
/// same measurement as the background monitor's): written under <see cref="ReplicationProbe.SitesStatusKey"/> on the first writable
/// site that answers, then looked for by version id, with its lock, on every other site that answers.
/// </summary>
internal sealed class SiteStatusProbe(HdsS3StorageOptions options, TimeSpan timeout, TimeProvider time)
{
    public async Task<SitesStatusReport> RunAsync(int probes, CancellationToken cancellationToken)
    {
        var sites = options.OrderedSites();
        var clients = sites.Select(s => S3ClientFactory.Create(options, s.ServiceUrl!, maxErrorRetry: 0)).ToList();
        try
        {
            var reports = new List<SiteStatus>();
            for (var i = 0; i < sites.Count; i++)
            {
                reports.Add(await DescribeAsync(sites[i], clients[i], cancellationToken).ConfigureAwait(false));
            }

            var writer = Enumerable.Range(0, sites.Count).FirstOrDefault(i => reports[i].Reachable && !sites[i].ReadOnly, -1);
            var lags = sites.Select(_ => new List<double>()).ToList();
            var missed = new int[sites.Count];
            var unlocked = new int[sites.Count];
            var replicas = Enumerable.Range(0, sites.Count).Where(i => i != writer && reports[i].Reachable).ToList();
            for (var p = 0; writer >= 0 && p < probes; p++)
            {
                var sightings = await ReplicationProbe.RunAsync(
                    clients[writer], replicas.Select(i => (IAmazonS3)clients[i]).ToList(), options.Bucket, ReplicationProbe.SitesStatusKey, timeout, time, cancellationToken)
                    .ConfigureAwait(false);
                for (var r = 0; r < replicas.Count; r++)
                {
                    var site = replicas[r];
                    if (sightings[r].Lag is { } lag)
                    {
                        lags[site].Add(lag.TotalMilliseconds);
                        unlocked[site] += sightings[r].Locked ? 0 : 1;
                    }
                    else
                    {
                        missed[site]++;
                    }
                }
            }

            for (var i = 0; i < sites.Count; i++)
            {
                var isWriter = i == writer;
                reports[i] = reports[i] with
                {
                    ProbeWrittenHere = isWriter,
                    Probes = writer < 0 || isWriter || !reports[i].Reachable ? 0 : probes,
                    ProbesSeen = lags[i].Count,
                    ProbesNotSeen = missed[i],
                    ProbesSeenWithoutLock = unlocked[i],
                    LagP50Ms = Percentile(lags[i], 0.50),
                    LagP95Ms = Percentile(lags[i], 0.95),
                    LagMaxMs = lags[i].Count == 0 ? null : Math.Round(lags[i].Max(), 1),
                };
            }

            return new SitesStatusReport(options.Bucket!, probes, timeout.TotalSeconds, writer >= 0 ? sites[writer].Name : null, reports);
        }
        finally
        {
            foreach (var client in clients)
            {
                client.Dispose();
            }
        }
    }

    private static string Role(HdsSiteOptions site) => site.MetadataMaster ? "master" : site.ReadOnly ? "backup" : "secondary";

    private async Task<SiteStatus> DescribeAsync(HdsSiteOptions site, AmazonS3Client s3, CancellationToken cancellationToken)
    {
        var status = new SiteStatus(site.Name, site.ServiceUrl!.ToString(), Role(site), site.ReadOnly, Reachable: false);
        var started = time.GetTimestamp();
        try
        {
            var versioning = await s3.GetBucketVersioningAsync(new GetBucketVersioningRequest { BucketName = options.Bucket }, cancellationToken).ConfigureAwait(false);
            var latency = time.GetElapsedTime(started);
            var lockConfig = await s3.GetObjectLockConfigurationAsync(new GetObjectLockConfigurationRequest { BucketName = options.Bucket }, cancellationToken)
                .ConfigureAwait(false);
            var rule = lockConfig.ObjectLockConfiguration?.Rule?.DefaultRetention;
            return status with
            {
                Reachable = true,
                LatencyMs = Math.Round(latency.TotalMilliseconds, 1),
                VersioningEnabled = versioning.VersioningConfig?.Status == VersionStatus.Enabled,
                ObjectLockEnabled = lockConfig.ObjectLockConfiguration?.ObjectLockEnabled == ObjectLockEnabled.Enabled,
                DefaultRetention = rule is null ? null : $"{rule.Mode?.Value} {(rule.Years is > 0 ? rule.Years + "y" : rule.Days + "d")}",
            };
        }
        catch (Exception ex) when (ex is AmazonServiceException or HttpRequestException or IOException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            // The error code only: an SDK message can carry the endpoint's answer, never needed to act.
            return status with { Error = ex is AmazonServiceException { ErrorCode: { Length: > 0 } code } ? code : ex.GetType().Name };
        }
    }

    private static double? Percentile(List<double> values, double p)
    {
        if (values.Count == 0)
        {
            return null;
        }

        var sorted = values.Order().ToList();
        var rank = (int)Math.Ceiling(p * sorted.Count) - 1; // nearest rank
        return Math.Round(sorted[Math.Clamp(rank, 0, sorted.Count - 1)], 1);
    }
}

/// <summary>What <c>hds sites status</c> prints.</summary>
internal sealed record SitesStatusReport(string Bucket, int Probes, double ProbeTimeoutSeconds, string? ProbeSite, List<SiteStatus> Sites);

/// <summary>One site's line of <see cref="SitesStatusReport"/>.</summary>
internal sealed record SiteStatus(string Name, string Endpoint, string Role, bool ReadOnly, bool Reachable)
{
    public string? Error { get; init; }

    public double? LatencyMs { get; init; }

    public bool? VersioningEnabled { get; init; }

    public bool? ObjectLockEnabled { get; init; }

    /// <summary>The bucket's default retention rule as this site reports it (RGW multisite does not replicate it: informative only).</summary>
    public string? DefaultRetention { get; init; }

    public bool ProbeWrittenHere { get; init; }

    public int Probes { get; init; }

    public int ProbesSeen { get; init; }

    public int ProbesNotSeen { get; init; }

    /// <summary>Probes this site served without the lock they were written with: a replica that does not carry its lock.</summary>
    public int ProbesSeenWithoutLock { get; init; }

    public double? LagP50Ms { get; init; }

    public double? LagP95Ms { get; init; }

    public double? LagMaxMs { get; init; }
}
