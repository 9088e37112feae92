using System.Net.Sockets;
using Amazon.Runtime;

namespace Hds.Storage.Backends.S3.Sites;

/// <summary>
/// Which failures say "this site is not serving now" (try another one) rather than "the request is wrong" (fail the operation):
/// connection errors, timeouts, broken connections and 5xx answers. 4xx answers are the same on every site and are never retried.
/// </summary>
internal static class TransientFailures
{
    public static bool IsTransient(Exception exception, CancellationToken callerToken)
    {
        if (callerToken.IsCancellationRequested)
        {
            return false; // the caller gave up: not the site's fault
        }

        for (var ex = exception; ex is not null; ex = ex.InnerException)
        {
            switch (ex)
            {
                case AmazonServiceException service when (int)service.StatusCode >= 500:
                    return true;
                case AmazonServiceException service when (int)service.StatusCode is > 0 and < 500:
                    return false;
                case HdsBackendUnavailableException:
                case HttpRequestException:
                case IOException:
                case SocketException:
                case TimeoutException:
                case OperationCanceledException:
                    return true;
                case HdsStorageException:
                    return false;
            }
        }

        // The AWS SDK wraps connection failures in AmazonClientException / AmazonServiceException without a status.
        return exception is AmazonClientException;
    }
}
