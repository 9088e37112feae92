namespace Hds.Storage;

/// <summary>
/// One site (data centre) of the S3 storage: a gateway endpoint serving the same bucket as the other sites. Operations go to the
/// best healthy site by <see cref="Priority"/> and fail over to the next one on connection errors, timeouts and 5xx answers.
/// </summary>
public sealed class HdsSiteOptions
{
    /// <summary>A short name for logs, metrics and health reports, for example "paris-1".</summary>
    /// <value>The default value is an empty string (must be set).</value>
    public string Name { get; set; } = string.Empty;

    /// <summary>The site's S3 endpoint, for example https://s3.site1.example:10443.</summary>
    /// <value>The default value is <see langword="null"/> (must be set).</value>
    public Uri? ServiceUrl { get; set; }

    /// <summary>The preference order: the lowest value is tried first; equal values keep the order of the list.</summary>
    /// <value>The default value is 0.</value>
    public int Priority { get; set; }

    /// <summary>Whether the site only serves reads (the backup site): writes never go to it.</summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool ReadOnly { get; set; }

    /// <summary>
    /// Whether the site holds the bucket metadata: Ceph RGW multisite's master zone (where buckets are created and versioning or
    /// object lock configured). While it is unreachable the other sites keep serving reads and writes, but bucket changes fail;
    /// the bucket check (<c>hds bucket check</c>, exit 11) and <c>hds sites status</c> report it. At most one site.
    /// </summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool MetadataMaster { get; set; }
}
