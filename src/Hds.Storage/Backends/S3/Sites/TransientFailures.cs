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
            if (ex is WriteOutcomeUnknownException)
            {
                return false; // asking another site would only ask the same unreachable one again
            }
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

    /// <summary>
    /// Whether the request never reached the site: the connection itself could not be made (refused, unreachable). Unlike a
    /// broken connection or a timeout, such a failure cannot have stored anything.
    /// </summary>
    public static bool NeverDelivered(Exception exception)
    {
        for (var ex = exception; ex is not null; ex = ex.InnerException)
        {
            if (ex is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError })
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>
/// The inner exception that marks an <see cref="HdsBackendUnavailableException"/> as final: a write's answer was lost on a site
/// that cannot be asked now whether it stored the version, so the write stops without a second copy, on no other site either.
/// </summary>
internal sealed class WriteOutcomeUnknownException() : Exception("The outcome of a write whose answer was lost is unknown.");
