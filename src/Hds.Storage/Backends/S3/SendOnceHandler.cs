using System.Collections.Concurrent;
using Amazon.Runtime;
using Hds.Storage.Objects;

namespace Hds.Storage.Backends.S3;

/// <summary>
/// Keeps retries in the <see cref="Sites.SiteRouter"/>'s hands. The AWS SDK resends a request whose answer was lost even with
/// MaxErrorRetry = 0 (measured with AWSSDK.S3 4.1.0): for a PutObject that the server had stored, the resend silently stores a
/// second version, and a timed-out call costs two timeouts before failover. This handler refuses (1) any SDK resend, recognised by
/// its <c>amz-sdk-request: attempt=N</c> header with N &gt; 1, when <paramref name="refuseSdkRetries"/>, and (2) always, a second
/// send of a write that creates something (PutObject, CreateMultipartUpload), recognised by its unique <c>hds-attempt</c> value.
/// The router handles the refusal like any lost answer: the next try looks for the stored version before writing again.
/// </summary>
internal sealed class SendOnceHandler(HttpMessageHandler inner, bool refuseSdkRetries, TimeProvider time) : DelegatingHandler(inner)
{
    private const int MaxRemembered = 4096;
    private static readonly TimeSpan Remembered = TimeSpan.FromMinutes(15);
    private static readonly string AttemptHeader = "x-amz-meta-" + MetadataNames.Attempt;
    private readonly ConcurrentDictionary<string, long> _sent = new(StringComparer.Ordinal);

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (refuseSdkRetries && request.Headers.TryGetValues("amz-sdk-request", out var sdkRequest)
            && sdkRequest.FirstOrDefault() is { } info && !info.StartsWith("attempt=1;", StringComparison.Ordinal) && info.StartsWith("attempt=", StringComparison.Ordinal))
        {
            throw new HdsBackendUnavailableException("The AWS SDK tried to resend a request on the same site; the site router decides where to retry.");
        }

        if ((request.Method == HttpMethod.Put || request.Method == HttpMethod.Post)
            && (request.Headers.TryGetValues(AttemptHeader, out var values) || (request.Content?.Headers.TryGetValues(AttemptHeader, out values) ?? false))
            && values.FirstOrDefault() is { } attempt)
        {
            var now = time.GetTimestamp();
            if (!_sent.TryAdd(request.Method.Method + " " + attempt, now))
            {
                throw new HdsBackendUnavailableException("A write whose answer was lost was not sent again blindly; the next try checks whether it was stored.");
            }

            if (_sent.Count > MaxRemembered)
            {
                foreach (var (key, at) in _sent)
                {
                    if (time.GetElapsedTime(at, now) > Remembered)
                    {
                        _sent.TryRemove(key, out _);
                    }
                }
            }
        }

        return base.SendAsync(request, cancellationToken);
    }
}
