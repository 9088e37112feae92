namespace Hds.Storage.Models;

/// <summary>Whether the bucket is fit for health data.</summary>
/// <param name="Bucket">The bucket (or local store directory) checked.</param>
/// <param name="VersioningEnabled">Whether versioning is Enabled.</param>
/// <param name="ObjectLockEnabled">Whether S3 Object Lock is enabled.</param>
public sealed record BucketCompliance(string Bucket, bool VersioningEnabled, bool ObjectLockEnabled)
{
    /// <summary>Whether the bucket can be used: versioning and object lock both enabled.</summary>
    public bool IsCompliant => VersioningEnabled && ObjectLockEnabled;
}
