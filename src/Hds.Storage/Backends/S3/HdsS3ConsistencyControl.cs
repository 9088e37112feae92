namespace Hds.Storage;

/// <summary>
/// StorageGRID's <c>Consistency-Control</c> request header, per kind of request: how many sites' metadata must agree before a
/// request is answered. Pair it with the ILM rule's ingest behaviour (docs/operations.md): for example writes <c>strong-global</c>
/// with a "dual commit" or "strict" ingest rule so that a version is known at every site when the write returns, and reads
/// <c>read-after-new-write</c> (StorageGRID's default). Other S3 servers ignore the header. Values: <c>all</c>,
/// <c>strong-global</c>, <c>strong-site</c>, <c>read-after-new-write</c>, <c>available</c>.
/// </summary>
public sealed class HdsS3ConsistencyControl
{
    /// <summary>The values StorageGRID accepts.</summary>
    public static readonly IReadOnlyList<string> Values = ["all", "strong-global", "strong-site", "read-after-new-write", "available"];

    /// <summary>The header on reads of one object (GET, HEAD).</summary>
    /// <value>The default value is <see langword="null"/>: no header, the bucket's consistency applies.</value>
    public string? Reads { get; set; }

    /// <summary>The header on writes (PUT, POST, DELETE: objects, parts, retention, legal holds, delete markers).</summary>
    /// <value>The default value is <see langword="null"/>: no header, the bucket's consistency applies.</value>
    public string? Writes { get; set; }

    /// <summary>The header on listings (objects, versions, uploads) and other bucket-level reads.</summary>
    /// <value>The default value is <see langword="null"/>: no header, the bucket's consistency applies.</value>
    public string? Listings { get; set; }

    internal bool IsSet => Reads is not null || Writes is not null || Listings is not null;

    internal void Validate(List<string> errors)
    {
        foreach (var (name, value) in new[] { (nameof(Reads), Reads), (nameof(Writes), Writes), (nameof(Listings), Listings) })
        {
            if (value is not null && !Values.Contains(value, StringComparer.Ordinal))
            {
                errors.Add($"S3.ConsistencyControl.{name} must be one of {string.Join(", ", Values)} (or unset).");
            }
        }
    }

    // Path-style requests: "/bucket" or "/bucket/" is bucket-level; a listing query on the bucket is a listing.
    internal string? For(HttpRequestMessage request)
    {
        var method = request.Method;
        if (method == HttpMethod.Put || method == HttpMethod.Post || method == HttpMethod.Delete)
        {
            return Writes;
        }

        var path = request.RequestUri?.AbsolutePath.Trim('/') ?? string.Empty;
        return path.Contains('/', StringComparison.Ordinal) ? Reads : Listings;
    }
}
