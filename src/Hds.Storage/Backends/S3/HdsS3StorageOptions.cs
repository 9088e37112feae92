
namespace Hds.Storage;

/// <summary>Settings of the S3 backend.</summary>
public sealed class HdsS3StorageOptions
{
    /// <summary>The minimum part size S3 accepts for every part but the last.</summary>
    public const int MinimumPartSize = 5 * 1024 * 1024;

    // Buffers are pooled arrays: keep them far below the 2 GiB array limit and the memory budget.
    private const int MaximumSinglePutSize = 512 * 1024 * 1024;

    /// <summary>
    /// The S3 endpoint of a single-site deployment, for example https://s3.storagegrid.example:10443 or http://127.0.0.1:7480.
    /// Set either this or <see cref="Sites"/>.
    /// </summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public Uri? ServiceUrl { get; set; }

    /// <summary>
    /// The sites (data centres) serving the bucket, for failover: each operation goes to the best healthy site and moves to the
    /// next on connection errors, timeouts and 5xx. Set either this or <see cref="ServiceUrl"/> (which is one site named "default").
    /// </summary>
    /// <value>The default value is an empty list.</value>
    public IList<HdsSiteOptions> Sites { get; } = new List<HdsSiteOptions>();

    /// <summary>
    /// How long one operation keeps trying the sites (with short pauses) when all of them fail, before it gives up with
    /// <see cref="HdsBackendUnavailableException"/>. Bounds every call when every site is down.
    /// </summary>
    /// <value>The default value is 30 seconds.</value>
    public TimeSpan FailoverTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a site's circuit stays open (no traffic) after repeated failures before one trial request is let through.</summary>
    /// <value>The default value is 30 seconds.</value>
    public TimeSpan CircuitBreakDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How often a background probe checks every site when there are several; a site that answers again gets traffic back
    /// (its circuit is closed). <see cref="TimeSpan.Zero"/> disables the probe.
    /// </summary>
    /// <value>The default value is 10 seconds.</value>
    public TimeSpan HealthProbeInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The bucket; it must have versioning and object lock enabled.</summary>
    /// <value>The default value is an empty string (must be set).</value>
    public string Bucket { get; set; } = string.Empty;

    /// <summary>The access key; when null, the AWS SDK's default credential chain (environment variables, profile) is used.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? AccessKey { get; set; }

    /// <summary>The secret key matching <see cref="AccessKey"/>.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? SecretKey { get; set; }

    /// <summary>The signing region.</summary>
    /// <value>The default value is "us-east-1".</value>
    public string Region { get; set; } = "us-east-1";

    /// <summary>Whether to address the bucket in the path rather than the host name (needed for IP endpoints and most on-premises grids).</summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool ForcePathStyle { get; set; } = true;

    /// <summary>Stored objects larger than this go as multipart uploads (smaller ones as one PutObject with its lock headers).</summary>
    /// <value>
    /// The default value is 8 MiB, the default part size: the bytes read to decide become the first part's buffer, so a large
    /// write needs no buffer beyond its parts (a 16 MiB threshold cost 16 MiB more per transfer, measured in docs/benchmarks.md).
    /// </value>
    public int MultipartThreshold { get; set; } = 8 * 1024 * 1024;

    /// <summary>
    /// Size of each multipart part, and of each range a whole-object read fetches; each is buffered once (pooled) to compute its
    /// digests. S3 allows 10,000 parts: the largest object is 10,000 × <see cref="PartSize"/> (78 GiB at the default).
    /// </summary>
    /// <value>The default value is 8 MiB (with <see cref="MaxConcurrency"/> 4: measured in docs/benchmarks.md).</value>
    public int PartSize { get; set; } = 8 * 1024 * 1024;

    /// <summary>
    /// How many parts of one object are uploaded at once. Memory per upload is about (<see cref="MaxConcurrency"/> + 1) ×
    /// <see cref="PartSize"/>; 1 uploads parts one after the other. Whole-object reads are one GET (the storage's ETag check on the
    /// body is kept). Measured in docs/benchmarks.md.
    /// </summary>
    /// <value>The default value is 4 (8 MiB parts × 4 was the fastest of 8×2, 8×3, 8×4 and 16×2 for puts here; about 40 MiB per upload).</value>
    public int MaxConcurrency { get; set; } = 4;

    /// <summary>How long one request may take before it is abandoned.</summary>
    /// <value>The default value is 100 seconds.</value>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(100);

    /// <summary>
    /// How many sites must hold a new version, locked, before a write returns (the site that stored it counts as one). With
    /// replicating sites (StorageGRID ILM, Ceph multisite, AWS CRR) 1 returns as soon as one site stored and locked the version, which
    /// replication copies later: a receipt can then name a version that no surviving site has if that site is lost first. 2 waits,
    /// within <see cref="AcknowledgementTimeout"/>, until another site answers for the version (HEAD by version id, same length,
    /// the lock it must carry): use it before telling a person that their document is filed. Overridden per call by
    /// <see cref="HdsPutOptions.AcknowledgementSites"/>.
    /// </summary>
    /// <value>The default value is 1.</value>
    public int AcknowledgementSites { get; set; } = 1;

    /// <summary>
    /// How long a write waits for the other sites of <see cref="AcknowledgementSites"/>; past it the write fails with
    /// <see cref="HdsNotGeoDurableException"/>, which carries the receipt (the version is stored and locked, on fewer sites).
    /// </summary>
    /// <value>The default value is 60 seconds (replication lag is usually under 3 s, with a tail of 10 to 30 s on RGW).</value>
    public TimeSpan AcknowledgementTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Whether the <see cref="Sites"/> are separate copies of the bucket kept in step by asynchronous replication (Ceph RGW multisite
    /// zones, AWS S3 Cross-Region Replication, separate grids), rather than gateways of one storage system that all see the same
    /// data at once (the gateways of one StorageGRID grid or one Ceph cluster). With replication, a site may not have a version
    /// written on another yet: reads of a version id look for it on every site (<see cref="ReplicationLagTimeout"/>), and a write
    /// whose answer was lost is looked for on the site that got it before it is sent again elsewhere.
    /// </summary>
    /// <value>The default value is <see langword="false"/>: the sites are gateways of one storage system.</value>
    public bool AsynchronousReplication { get; set; }

    /// <summary>
    /// Read-your-writes: the client remembers the last version it wrote of each key (the 10,000 most recently written keys) and a
    /// read of the latest version never returns an older one than that: a site replication has not reached yet answers with an
    /// older "latest", so the remembered version is read instead, looked for on every site within <see cref="ReplicationLagTimeout"/>
    /// (<see cref="HdsNotReplicatedException"/> when it is on no site that answered and some site could not be asked). A newer
    /// version written by another client is returned as usual. Deletes likewise: after this client deleted a key, an older "latest"
    /// served by a lagging site reads as not found (<see cref="HdsObjectNotFoundException"/>). Use with
    /// <see cref="AsynchronousReplication"/>.
    /// </summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool ReadYourWrites { get; set; }

    /// <summary>
    /// With <see cref="AsynchronousReplication"/>, how long a read of a given version id (from a receipt) looks for it on the sites
    /// when the one that served first does not have it (0.2 s to 30 s of lag measured on RGW multisite), and how long a retried write
    /// waits for the site that got an earlier try to answer whether it stored it. Each site is asked directly, again with growing pauses, until one has it (it serves the read) or the time
    /// passes: then the read is <see cref="HdsObjectNotFoundException"/> when every site answered that it does not have it, and
    /// <see cref="HdsNotReplicatedException"/> when a site could not be asked. Zero: no waiting (one round over the sites). A write
    /// whose earlier try went to a site that still cannot be asked after this time fails with <see cref="HdsBackendUnavailableException"/>
    /// (its outcome is unknown, and no second copy is written).
    /// </summary>
    /// <value>The default value is 10 seconds.</value>
    public TimeSpan ReplicationLagTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// With <see cref="AsynchronousReplication"/> and several <see cref="Sites"/>, how often a background monitor measures the
    /// replication lag: it writes one probe (32 random bytes, no PHI, under the reserved key <c>_hds/probe/replication-lag</c>,
    /// locked GOVERNANCE for one day) on the preferred writable site and looks for it, with its lock, on every other site for at most
    /// <see cref="ReplicationLagTimeout"/>. The last result per site is in the health check (degraded when a site did not show the
    /// probe in time, served it without its lock, or was not measured for three intervals plus twice <see cref="ReplicationLagTimeout"/>) and in the metrics
    /// (<c>hds.storage.site.replication.lag</c>). The health check itself never writes. <see cref="TimeSpan.Zero"/>: no monitor.
    /// Each probe is one locked version of that key: expire noncurrent versions under <c>_hds/probe/</c> with a lifecycle rule.
    /// </summary>
    /// <value>The default value is <see cref="TimeSpan.Zero"/> (off); otherwise at least 1 second (a minute is plenty for alerting).</value>
    public TimeSpan ReplicationLagProbeInterval { get; set; }

    /// <summary>StorageGRID's <c>Consistency-Control</c> header per kind of request (reads, writes, listings); unset by default.</summary>
    public HdsS3ConsistencyControl ConsistencyControl { get; } = new();

    /// <summary>Test seam: lets fault tests put a handler between the AWS SDK and the network.</summary>
    internal Amazon.Runtime.HttpClientFactory? HttpClientFactory { get; set; }

    internal void Validate(List<string> errors)
    {
        if (Sites.Count == 0 && !IsHttpUrl(ServiceUrl))
        {
            errors.Add("S3.ServiceUrl must be an absolute http(s) URL of the S3 endpoint (or list the endpoints in S3.Sites).");
        }

        if (Sites.Count > 0)
        {
            ValidateSites(errors);
        }

        if (FailoverTimeout <= TimeSpan.Zero)
        {
            errors.Add("S3.FailoverTimeout must be positive.");
        }

        if (CircuitBreakDuration < TimeSpan.FromSeconds(0.5))
        {
            errors.Add("S3.CircuitBreakDuration must be at least 0.5 seconds.");
        }

        if (HealthProbeInterval < TimeSpan.Zero)
        {
            errors.Add("S3.HealthProbeInterval must be zero (no probe) or positive.");
        }

        if (string.IsNullOrWhiteSpace(Bucket) || Bucket.Length is < 3 or > 63)
        {
            errors.Add("S3.Bucket must name a bucket (3 to 63 characters).");
        }

        if ((AccessKey is null) != (SecretKey is null))
        {
            errors.Add("S3.AccessKey and S3.SecretKey must be set together (or both left unset to use the AWS credential chain).");
        }

        if (PartSize < MinimumPartSize)
        {
            errors.Add($"S3.PartSize must be at least {MinimumPartSize} bytes (the S3 minimum).");
        }

        if (MultipartThreshold < 1 || MultipartThreshold > MaximumSinglePutSize)
        {
            errors.Add($"S3.MultipartThreshold must be between 1 and {MaximumSinglePutSize} bytes (it is buffered once, pooled).");
        }

        if (PartSize > MaximumSinglePutSize)
        {
            errors.Add($"S3.PartSize must be at most {MaximumSinglePutSize} bytes (each part is buffered once, pooled).");
        }

        if (MaxConcurrency is < 1 or > 64)
        {
            errors.Add("S3.MaxConcurrency must be between 1 and 64.");
        }

        if (RequestTimeout <= TimeSpan.Zero)
        {
            errors.Add("S3.RequestTimeout must be positive.");
        }

        var siteCount = Math.Max(1, Sites.Count);
        if (AcknowledgementSites < 1 || AcknowledgementSites > siteCount)
        {
            errors.Add($"S3.AcknowledgementSites must be between 1 and the number of sites ({siteCount}).");
        }

        ConsistencyControl.Validate(errors);

        if (ReplicationLagTimeout < TimeSpan.Zero)
        {
            errors.Add("S3.ReplicationLagTimeout must be zero or positive.");
        }

        if (AcknowledgementTimeout <= TimeSpan.Zero)
        {
            errors.Add("S3.AcknowledgementTimeout must be positive.");
        }

        ValidateReplicationLagProbe(errors);
    }

    /// <summary>The sites in preference order: <see cref="Sites"/>, or <see cref="ServiceUrl"/> as one writable site named "default".</summary>
    internal IReadOnlyList<HdsSiteOptions> OrderedSites() =>
        Sites.Count == 0
            ? [new HdsSiteOptions { Name = "default", ServiceUrl = ServiceUrl }]
            : Sites.Select((site, index) => (site, index)).OrderBy(x => x.site.Priority).ThenBy(x => x.index).Select(x => x.site).ToList();

    private static bool IsHttpUrl(Uri? url) =>
        url is not null && url.IsAbsoluteUri && (url.Scheme == Uri.UriSchemeHttps || url.Scheme == Uri.UriSchemeHttp);

    private void ValidateReplicationLagProbe(List<string> errors)
    {
        if (ReplicationLagProbeInterval == TimeSpan.Zero)
        {
            return;
        }

        if (ReplicationLagProbeInterval < TimeSpan.FromSeconds(1))
        {
            errors.Add("S3.ReplicationLagProbeInterval must be zero (no lag monitor) or at least 1 second.");
        }

        if (Sites.Count < 2)
        {
            errors.Add("S3.ReplicationLagProbeInterval needs at least two S3.Sites: the lag is measured between sites.");
        }

        if (!AsynchronousReplication)
        {
            errors.Add("S3.ReplicationLagProbeInterval measures asynchronous replication: set S3.AsynchronousReplication (gateways of one storage system have no lag to measure).");
        }

        if (ReplicationLagTimeout <= TimeSpan.Zero)
        {
            errors.Add("S3.ReplicationLagProbeInterval needs a positive S3.ReplicationLagTimeout: how long each site is given to show a probe.");
        }
    }

    private void ValidateSites(List<string> errors)
    {
        if (ServiceUrl is not null)
        {
            errors.Add("Set either S3.ServiceUrl (one site) or S3.Sites (several), not both.");
        }

        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var site in Sites)
        {
            if (site is null || string.IsNullOrWhiteSpace(site.Name) || site.Name.Length > 64 || !site.Name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            {
                errors.Add("Every S3.Sites entry needs a Name of 1 to 64 letters, digits, '-', '_' or '.'.");
                continue;
            }

            if (!names.Add(site.Name))
            {
                errors.Add($"S3.Sites names site '{site.Name}' twice.");
            }

            if (!IsHttpUrl(site.ServiceUrl))
            {
                errors.Add($"S3.Sites '{site.Name}' needs a ServiceUrl: an absolute http(s) URL.");
            }
        }

        if (Sites.Count(s => s is not null && s.MetadataMaster) > 1)
        {
            errors.Add("S3.Sites names more than one MetadataMaster site: the bucket metadata has one master.");
        }

        if (Sites.All(s => s is null || s.ReadOnly))
        {
            errors.Add("S3.Sites needs at least one site that is not read-only: writes must go somewhere.");
        }
    }
}
