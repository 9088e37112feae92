namespace Hds.Storage.Backends.S3;

/// <summary>Settings of the S3 backend.</summary>
public sealed class S3StorageOptions
{
    /// <summary>The minimum part size S3 accepts for every part but the last.</summary>
    public const int MinimumPartSize = 5 * 1024 * 1024;

    // Buffers are pooled arrays: keep them far below the 2 GiB array limit and the memory budget.
    private const int MaximumSinglePutSize = 512 * 1024 * 1024;

    /// <summary>The S3 endpoint, for example https://s3.storagegrid.example:10443 or http://127.0.0.1:7480.</summary>
    /// <value>The default value is <see langword="null"/> (must be set).</value>
    public Uri? ServiceUrl { get; set; }

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
    /// How many parts of one object are uploaded at once, and how many part-sized ranges of one object are fetched ahead when it is
    /// read whole. Memory per transfer is about (<see cref="MaxConcurrency"/> + 1) × <see cref="PartSize"/>; 1 turns both off
    /// (sequential parts, one GET per read). Measured in docs/benchmarks.md.
    /// </summary>
    /// <value>The default value is 4 (8 MiB parts × 4 was the fastest of 8×2, 8×3, 8×4 and 16×2 for puts and gets here; about 40 MiB per transfer).</value>
    public int MaxConcurrency { get; set; } = 4;

    /// <summary>How long one request may take before it is abandoned.</summary>
    /// <value>The default value is 100 seconds.</value>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(100);

    /// <summary>Test seam: lets fault tests put a handler between the AWS SDK and the network.</summary>
    internal Amazon.Runtime.HttpClientFactory? HttpClientFactory { get; set; }

    internal void Validate(List<string> errors)
    {
        if (ServiceUrl is null || !ServiceUrl.IsAbsoluteUri || (ServiceUrl.Scheme != Uri.UriSchemeHttps && ServiceUrl.Scheme != Uri.UriSchemeHttp))
        {
            errors.Add("S3.ServiceUrl must be an absolute http(s) URL of the S3 endpoint.");
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
    }
}
