using Amazon.S3;
using Amazon.S3.Model;
using Hds.Storage.Access;

namespace Hds.Storage.Backends.S3;

/// <summary>
/// The paged ListObjectVersions of one site, read into the backend's versions: every version and delete marker of one key (the
/// key's versions, also asked of every site when replication lags) or of a prefix (the history the audit verifier walks).
/// </summary>
internal static class S3VersionListings
{
    // ListObjectVersions pages through keys in order, each key's versions and delete markers newest first: kept in that order.
    public static async Task<IReadOnlyList<BackendVersion>> ListHistoryOnAsync(AmazonS3Client s3, string bucket, string prefix, OperationContext? operation, CancellationToken cancellationToken)
    {
        var result = new List<BackendVersion>();
        var request = ContextHeaders.On(new ListVersionsRequest { BucketName = bucket, Prefix = prefix, MaxKeys = 1000 }, operation);
        while (true)
        {
            var r = await s3.ListVersionsAsync(request, cancellationToken).ConfigureAwait(false);
            result.AddRange((r.Versions ?? [])
                .Where(v => v.Key.StartsWith(prefix, StringComparison.Ordinal))
                .Select(v => new BackendVersion(v.Key, v.VersionId, v.IsLatest == true, v.IsDeleteMarker == true, v.Size ?? 0, S3Answers.ToOffset(v.LastModified))));
            if (r.IsTruncated != true)
            {
                break;
            }

            request.KeyMarker = r.NextKeyMarker;
            request.VersionIdMarker = r.NextVersionIdMarker;
        }

        return result;
    }

    public static async Task<IReadOnlyList<BackendVersion>> ListVersionsOnAsync(AmazonS3Client s3, string bucket, string key, OperationContext? operation, CancellationToken cancellationToken)
    {
        var result = new List<BackendVersion>();
        var request = ContextHeaders.On(new ListVersionsRequest { BucketName = bucket, Prefix = key }, operation);
        while (true)
        {
            var r = await s3.ListVersionsAsync(request, cancellationToken).ConfigureAwait(false);
            result.AddRange((r.Versions ?? [])
                .Where(v => string.Equals(v.Key, key, StringComparison.Ordinal))
                .Select(v => new BackendVersion(v.Key, v.VersionId, v.IsLatest == true, v.IsDeleteMarker == true, v.Size ?? 0, S3Answers.ToOffset(v.LastModified)) { ETag = v.ETag }));

            // The key sorts before every other key it is a prefix of, so its versions come first: once a page ends on another key,
            // all of them are read. Without this stop, every listing of "doc" also paged through "doc-0001", "doc/x"… (any number
            // of them, which anyone holding the bucket's credentials can add).
            if (r.IsTruncated != true || !string.Equals(r.NextKeyMarker, key, StringComparison.Ordinal))
            {
                break;
            }

            request.KeyMarker = r.NextKeyMarker;
            request.VersionIdMarker = r.NextVersionIdMarker;
        }

        return result.OrderByDescending(v => v.LastModified).ThenByDescending(v => v.IsLatest).ToList();
    }
}
