namespace Hds.Storage.Models;

/// <summary>Whether the bucket is fit for health data.</summary>
/// <param name="Bucket">The bucket (or local store directory) checked.</param>
/// <param name="VersioningEnabled">Whether versioning is Enabled.</param>
/// <param name="ObjectLockEnabled">Whether S3 Object Lock is enabled.</param>
public sealed record HdsBucketCompliance(string Bucket, bool VersioningEnabled, bool ObjectLockEnabled)
{
    /// <summary>Whether the bucket can be used: versioning and object lock both enabled.</summary>
    public bool IsCompliant => VersioningEnabled && ObjectLockEnabled;

    /// <summary>
    /// The site configured as metadata master (<see cref="HdsSiteOptions.MetadataMaster"/>), and whether it answered the check:
    /// <see langword="false"/> means the bucket may be compliant (as the other sites see it) but buckets cannot be created nor
    /// their versioning or lock configuration changed until it is back. <see langword="null"/> when no master is configured.
    /// </summary>
    public bool? MetadataMasterReachable { get; init; }

    /// <summary>The name of the metadata master site, when one is configured.</summary>
    public string? MetadataMaster { get; init; }
}
