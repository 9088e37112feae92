using System.Collections.Concurrent;
using Amazon.Runtime;
using Hds.Storage.Objects;

namespace Hds.Storage.Sites;

/// <summary>
/// Refuses to send a write that creates something (PutObject, CreateMultipartUpload) twice. The AWS SDK resends a request whose
/// answer was lost even with MaxErrorRetry = 0 (measured with AWSSDK.S3 4.1.0): for a PutObject that the server had stored, the
/// resend silently stores a second version. Such writes carry a unique <c>hds-attempt</c> value per try; a second send of the same
/// value fails here instead, and the <see cref="SiteRouter"/> handles it like any lost answer: the next try looks for the stored
/// version before writing again.
/// </summary>
internal sealed class SendOnceHandler(HttpMessageHandler inner) : DelegatingHandler(inner)
{
    private const int MaxRemembered = 4096;
    private static readonly TimeSpan Remembered = TimeSpan.FromMinutes(15);
    private static readonly string AttemptHeader = "x-amz-meta-" + MetadataNames.Attempt;
    private readonly ConcurrentDictionary<string, long> _sent = new(StringComparer.Ordinal);

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if ((request.Method == HttpMethod.Put || request.Method == HttpMethod.Post)
            && (request.Headers.TryGetValues(AttemptHeader, out var values) || (request.Content?.Headers.TryGetValues(AttemptHeader, out values) ?? false))
            && values.FirstOrDefault() is { } attempt)
        {
            var now = Environment.TickCount64;
            if (!_sent.TryAdd(request.Method.Method + " " + attempt, now))
            {
                throw new HdsBackendUnavailableException("A write whose answer was lost was not sent again blindly; the next try checks whether it was stored.");
            }

            if (_sent.Count > MaxRemembered)
            {
                foreach (var (key, at) in _sent)
                {
                    if (now - at > Remembered.TotalMilliseconds)
                    {
                        _sent.TryRemove(key, out _);
                    }
                }
            }
        }

        return base.SendAsync(request, cancellationToken);
    }
}

/// <summary>
/// The S3 clients' HTTP stack: the SDK's usual settings plus <see cref="SendOnceHandler"/> and a bounded connect time. One
/// HttpClient per site client (the SDK asks the factory for every request when its own caching is off), so the memory of sent
/// writes covers the SDK's resends.
/// </summary>
internal sealed class SiteHttpClientFactory : HttpClientFactory, IDisposable
{
    private static readonly TimeSpan MaxConnectTimeout = TimeSpan.FromSeconds(10);
    private readonly HttpClient _client;

    public SiteHttpClientFactory(TimeSpan requestTimeout)
    {
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            AutomaticDecompression = System.Net.DecompressionMethods.None,
            ConnectTimeout = requestTimeout < MaxConnectTimeout ? requestTimeout : MaxConnectTimeout,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        };
        _client = new HttpClient(new SendOnceHandler(handler)) { Timeout = requestTimeout };
    }

    public override HttpClient CreateHttpClient(IClientConfig clientConfig) => _client;

    public override bool UseSDKHttpClientCaching(IClientConfig clientConfig) => false;

    public override bool DisposeHttpClientsAfterUse(IClientConfig clientConfig) => false;

    public override string? GetConfigUniqueString(IClientConfig clientConfig) => null;

    public void Dispose() => _client.Dispose();
}
