using System.Net;
using Amazon.Runtime;
using Amazon.S3;

namespace Hds.Storage.Backends.S3;

/// <summary>Translates AWS SDK failures into the SDK's exception kinds; messages carry S3 error codes, never keys or content.</summary>
internal static class S3Errors
{
    /// <summary>Runs <paramref name="call"/>; any failure it throws is mapped (<see cref="Map"/>) once, here, for every S3 verb.</summary>
    public static async Task<T> GuardAsync<T>(Func<Task<T>> call, CancellationToken cancellationToken)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (Exception ex) when (Map(ex, cancellationToken) is var mapped && mapped != ex)
        {
            throw mapped;
        }
    }

    public static Exception Map(Exception ex, CancellationToken cancellationToken)
    {
        switch (ex)
        {
            case HdsStorageException:
                return ex;
            case OperationCanceledException when cancellationToken.IsCancellationRequested:
                return ex;
            case AmazonUnmarshallingException or System.Xml.XmlException or FormatException or InvalidDataException:
                // A gateway answering with malformed XML or headers (broken or lying): never let a parser's exception escape untyped.
                return new HdsBackendUnavailableException("The S3 endpoint sent an answer that cannot be parsed (malformed XML or headers). Check the storage gateway.", ex);
            case AmazonS3Exception s3:
                return MapS3(s3);
            case AmazonServiceException service when (int)service.StatusCode >= 500:
                return new HdsBackendUnavailableException($"The S3 endpoint answered {(int)service.StatusCode} {service.ErrorCode}.", ex);
            case AmazonServiceException service:
                return new HdsStorageException(HdsErrorCode.Unknown, $"The S3 endpoint refused the request: {(int)service.StatusCode} {service.ErrorCode}.", ex);
            case HttpRequestException or IOException or TimeoutException or OperationCanceledException or AmazonClientException:
                return new HdsBackendUnavailableException("The S3 endpoint could not be reached or did not answer in time.", ex);
            default:
                return ex;
        }
    }

    private static Exception MapS3(AmazonS3Exception ex)
    {
        var code = ex.ErrorCode ?? string.Empty;
        var status = (int)ex.StatusCode;
        var what = $"{status} {code}".Trim();
        if (status >= 500)
        {
            return new HdsBackendUnavailableException($"The S3 endpoint failed: {what}.", ex);
        }

        if (code is "NoSuchKey" or "NoSuchVersion" or "NotFound" || ex.StatusCode == HttpStatusCode.NotFound || ex.StatusCode == HttpStatusCode.MethodNotAllowed)
        {
            if (code == "NoSuchBucket")
            {
                return new HdsConfigurationException("The bucket does not exist. Create it with object lock enabled (hds bucket create).", ex);
            }

            return new HdsObjectNotFoundException("The object or version does not exist (or is deleted).", ex);
        }

        if (code is "BadDigest" or "InvalidDigest" or "XAmzContentSHA256Mismatch" or "IncompleteBody")
        {
            return new HdsIntegrityException($"The S3 endpoint refused the upload because its digest did not match ({what}): the data was corrupted in transit. Retry the write.", ex);
        }

        if (ex.StatusCode == HttpStatusCode.Forbidden || code is "AccessDenied")
        {
            // Object lock refusals come back as AccessDenied with a message naming the lock.
            var message = ex.Message ?? string.Empty;
            if (message.Contains("lock", StringComparison.OrdinalIgnoreCase) || message.Contains("retention", StringComparison.OrdinalIgnoreCase)
                || message.Contains("legal hold", StringComparison.OrdinalIgnoreCase) || message.Contains("WORM", StringComparison.OrdinalIgnoreCase))
            {
                return new HdsObjectLockedException("The storage refused: the version is protected by retention or legal hold.", ex);
            }

            return new HdsAccessDeniedException($"The S3 endpoint denied the request ({what}). Check the credentials and the bucket policy.", ex);
        }

        if (code is "InvalidAccessKeyId" or "SignatureDoesNotMatch")
        {
            return new HdsAccessDeniedException($"The S3 endpoint rejected the credentials ({what}).", ex);
        }

        if (code == "NoSuchBucket")
        {
            return new HdsConfigurationException("The bucket does not exist. Create it with object lock enabled (hds bucket create).", ex);
        }

        return new HdsStorageException(HdsErrorCode.Unknown, $"The S3 endpoint refused the request ({what}).", ex);
    }
}
