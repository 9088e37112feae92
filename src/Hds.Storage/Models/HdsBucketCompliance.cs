using System.Diagnostics.CodeAnalysis;
namespace Hds.Storage.Models;

/// <summary>Whether the bucket is fit for health data.</summary>
public sealed record HdsBucketCompliance
{
    /// <summary>Creates an empty HdsBucketCompliance, to fill with an object initializer.</summary>
    public HdsBucketCompliance()
    {
    }

    // The library's own construction; not public, so a property added later breaks no caller.
    [SetsRequiredMembers]
    internal HdsBucketCompliance(string bucket, bool versioningEnabled, bool objectLockEnabled)
    {
        Bucket = bucket;
        VersioningEnabled = versioningEnabled;
        ObjectLockEnabled = objectLockEnabled;
    }

    /// <summary>The bucket (or local store directory) checked.</summary>
    public required string Bucket { get; init; }

    /// <summary>Whether versioning is Enabled.</summary>
    public required bool VersioningEnabled { get; init; }

    /// <summary>Whether S3 Object Lock is enabled.</summary>
    public required bool ObjectLockEnabled { get; init; }

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
