using System.Net;
using Amazon.S3;
using Amazon.S3.Model;
using Hds.Storage.Backends.S3;

namespace Hds.Storage.Cli.Audit;

/// <summary>
/// An audit export kept under an S3 prefix (<c>s3://bucket/prefix/</c>, on the endpoint the CLI is configured with), where Spark, Trino
/// or DuckDB read it. The export itself runs in a local staging directory: its manifest is fetched first (so the run is incremental),
/// the new Parquet files are uploaded, and the manifest last, so a run cut midway leaves the previous manifest in force. Files an
/// unfinished run left under the prefix are deleted by the next run (they would otherwise read as records twice).
/// </summary>
internal sealed class S3ExportLocation
{
    private const string Scheme = "s3://";

    private S3ExportLocation(string bucket, string prefix)
    {
        Bucket = bucket;
        Prefix = prefix;
    }

    public string Bucket { get; }

    /// <summary>Empty or ending with '/'.</summary>
    public string Prefix { get; }

    public static bool IsS3(string location) => location.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase);

    /// <summary>Parses <c>s3://bucket[/prefix]</c>; a malformed location is a usage error (exit 1).</summary>
    public static S3ExportLocation Parse(string location)
    {
        var rest = location[Scheme.Length..];
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        var bucket = slash < 0 ? rest : rest[..slash];
        var prefix = slash < 0 ? string.Empty : rest[(slash + 1)..].Trim('/');
        if (bucket.Length is < 3 or > 63 || !bucket.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '.')
            || prefix.Split('/').Any(p => p is "." or "..") || prefix.Any(char.IsControl))
        {
            throw new CliUsageException("An S3 export location is s3://bucket/prefix/ (a bucket name of 3 to 63 lower-case letters, digits, '-' and '.').");
        }

        return new S3ExportLocation(bucket, prefix.Length == 0 ? string.Empty : prefix + "/");
    }

    /// <summary>
    /// Runs one step against the export bucket; the S3 errors an operator can act on become the CLI's typed errors (exit 3, 5 or 7), the
    /// location named, never the SDK's message alone.
    /// </summary>
    public async Task GuardAsync(Func<Task> step) => await GuardAsync(async () =>
    {
        await step().ConfigureAwait(false);
        return true;
    }).ConfigureAwait(false);

    /// <inheritdoc cref="GuardAsync(Func{Task})"/>
    public async Task<T> GuardAsync<T>(Func<Task<T>> step)
    {
        try
        {
            return await step().ConfigureAwait(false);
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.Forbidden)
        {
            throw new HdsAccessDeniedException($"The export location s3://{Bucket}/{Prefix} refused access ({ex.ErrorCode}): the CLI's S3 credentials need to read, write and list there.", ex);
        }
        catch (AmazonS3Exception ex) when (ex.ErrorCode == "NoSuchBucket")
        {
            throw new HdsObjectNotFoundException($"The export bucket {Bucket} does not exist on this endpoint: create it (an ordinary bucket, outside the health-data bucket), then export again.", ex);
        }
        catch (Amazon.Runtime.AmazonServiceException ex)
        {
            throw new HdsBackendUnavailableException($"The export location s3://{Bucket}/{Prefix} could not be reached ({ex.ErrorCode ?? ex.StatusCode.ToString()}); export again when it answers: the run resumes.", ex);
        }
    }

    /// <summary>An S3 client for the CLI's first configured site (its endpoint, region and credentials).</summary>
    public AmazonS3Client CreateClient(CliContext cli)
    {
        // The export bucket stands in for --bucket: only the endpoint, region and credentials are taken from the configuration.
        var options = cli.CreateStorageOptions(Bucket);
        if (options.S3 is not { } s3)
        {
            throw new CliUsageException("An s3:// export location needs an S3 endpoint (--endpoint, or HdsStorage:S3 in hds.json), not --local.");
        }

        return S3ClientFactory.Create(s3);
    }

    /// <summary>
    /// Before a run: fetches the manifest into <paramref name="staging"/> (or claims an empty prefix with an empty one) and deletes the
    /// Parquet files under the prefix that it does not name (left by a run that did not finish).
    /// </summary>
    public async Task PrepareAsync(IAmazonS3 s3, string staging, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(staging);
        if (!await TryDownloadAsync(s3, ExportManifest.FileName, Path.Combine(staging, ExportManifest.FileName), cancellationToken).ConfigureAwait(false))
        {
            // Parquet files without a manifest are someone else's data, not a run of ours to clean up: never deleted, refused.
            if ((await ListParquetAsync(s3, cancellationToken).ConfigureAwait(false)).Count > 0)
            {
                throw new CliUsageException($"s3://{Bucket}/{Prefix} holds Parquet files but no {ExportManifest.FileName}: export to an empty prefix or to an earlier export's.");
            }

            // The prefix is claimed with an empty manifest before any file: the files of a first run cut before its manifest are then
            // known as ours, and removed by the next run instead of making it refuse the prefix.
            AuditParquetExporter.Claim(staging);
            await UploadAsync(s3, Path.Combine(staging, ExportManifest.FileName), Prefix + ExportManifest.FileName, cancellationToken).ConfigureAwait(false);
            return;
        }

        var named = (AuditParquetExporter.ReadManifest(staging) ?? ExportManifest.Empty()).Runs.SelectMany(r => r.Files)
            .Select(f => Prefix + f.Path).ToHashSet(StringComparer.Ordinal);
        foreach (var key in await ListParquetAsync(s3, cancellationToken).ConfigureAwait(false))
        {
            if (!named.Contains(key))
            {
                await s3.DeleteObjectAsync(Bucket, key, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>After a run: uploads the files it wrote, then its manifest (last: it is what makes them part of the export).</summary>
    public async Task PublishAsync(IAmazonS3 s3, string staging, IEnumerable<ExportFile> files, CancellationToken cancellationToken)
    {
        foreach (var file in files)
        {
            await UploadAsync(s3, Path.Combine(staging, file.Path), Prefix + file.Path, cancellationToken).ConfigureAwait(false);
        }

        await UploadAsync(s3, Path.Combine(staging, ExportManifest.FileName), Prefix + ExportManifest.FileName, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Copies the whole export (manifest and every Parquet file under the prefix, named or not) into <paramref name="staging"/>, where
    /// it is checked against its manifest like a local one before any query runs. False when there is no manifest.
    /// </summary>
    public async Task<bool> DownloadAsync(IAmazonS3 s3, string staging, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(staging);
        if (!await TryDownloadAsync(s3, ExportManifest.FileName, Path.Combine(staging, ExportManifest.FileName), cancellationToken).ConfigureAwait(false))
        {
            return false;
        }

        foreach (var key in await ListParquetAsync(s3, cancellationToken).ConfigureAwait(false))
        {
            var relative = key[Prefix.Length..];
            var target = Path.GetFullPath(Path.Combine(staging, relative));
            if (!target.StartsWith(Path.GetFullPath(staging) + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            {
                continue; // a key that would land outside the staging directory is not part of an export
            }

            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            await TryDownloadAsync(s3, relative, target, cancellationToken).ConfigureAwait(false);
        }

        return true;
    }

    private async Task<List<string>> ListParquetAsync(IAmazonS3 s3, CancellationToken cancellationToken)
    {
        var keys = new List<string>();
        var request = new ListObjectsV2Request { BucketName = Bucket, Prefix = Prefix };
        ListObjectsV2Response page;
        do
        {
            page = await s3.ListObjectsV2Async(request, cancellationToken).ConfigureAwait(false);
            keys.AddRange((page.S3Objects ?? []).Select(o => o.Key).Where(k => k.EndsWith(".parquet", StringComparison.Ordinal)));
            request.ContinuationToken = page.NextContinuationToken;
        }
        while (page.IsTruncated == true);
        return keys;
    }

    private async Task<bool> TryDownloadAsync(IAmazonS3 s3, string relative, string path, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await s3.GetObjectAsync(Bucket, Prefix + relative, cancellationToken).ConfigureAwait(false);
            var file = File.Create(path);
            await using (file.ConfigureAwait(false))
            {
                await response.ResponseStream.CopyToAsync(file, cancellationToken).ConfigureAwait(false);
            }

            return true;
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
    }

    private async Task UploadAsync(IAmazonS3 s3, string path, string key, CancellationToken cancellationToken) =>
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = Bucket, Key = key, FilePath = path }, cancellationToken).ConfigureAwait(false);
}
