using System.Collections.Concurrent;
using Amazon.Runtime;

namespace Hds.Storage.Backends.S3;

/// <summary>
/// The S3 clients' one HTTP stack (issue 15): one handler chain — Consistency-Control, then send-once, then sockets — and one
/// HttpClient per site and settings for the whole process, handed to the AWS SDK for every request (its own caching off).
/// Before, every request went through two HttpClients and a copied request, and with the SDK's caching off a new outer client
/// and two handlers were built per request. Clients of the same site share connections; the send-once memory keys writes by
/// a unique attempt id, so sharing it is safe.
/// The internal test seam <see cref="HdsS3StorageOptions.HttpClientFactory"/> (tests that observe or fault the traffic) gets a
/// chain of its own, built once, whose innermost handler forwards to the seam's client.
/// </summary>
internal sealed class S3HttpClientFactory : HttpClientFactory
{
    private static readonly TimeSpan MaxConnectTimeout = TimeSpan.FromSeconds(10);
    private static readonly ConcurrentDictionary<string, HttpClient> Shared = new(StringComparer.Ordinal);

    private readonly Func<IClientConfig, HttpClient> _create;
    private HttpClient? _client;

    private S3HttpClientFactory(Func<IClientConfig, HttpClient> create) => _create = create;

    /// <param name="serviceUrl">The site.</param>
    /// <param name="requestTimeout">The HTTP timeout of one request.</param>
    /// <param name="refuseSdkRetries">Whether the SDK's own resends are refused (the router's clients: the router retries).</param>
    /// <param name="consistency">StorageGRID's Consistency-Control values, when set.</param>
    /// <param name="testSeam">The internal test seam, when set.</param>
    public static S3HttpClientFactory For(
        Uri serviceUrl, TimeSpan requestTimeout, bool refuseSdkRetries, HdsS3ConsistencyControl? consistency, HttpClientFactory? testSeam)
    {
        var control = consistency is { IsSet: true } ? consistency : null;
        if (testSeam is not null)
        {
            return new S3HttpClientFactory(config => Create(new ForwardingHandler(testSeam.CreateHttpClient(config)), requestTimeout, refuseSdkRetries, control));
        }

        var key = string.Join('|', serviceUrl.AbsoluteUri, requestTimeout.Ticks, refuseSdkRetries, control?.Reads, control?.Writes, control?.Listings);
        var client = Shared.GetOrAdd(key, _ => Create(Sockets(requestTimeout), requestTimeout, refuseSdkRetries, control));
        return new S3HttpClientFactory(_ => client) { _client = client };
    }

    public override HttpClient CreateHttpClient(IClientConfig clientConfig) =>
        _client ?? Interlocked.CompareExchange(ref _client, _create(clientConfig), null) ?? _client;

    public override bool UseSDKHttpClientCaching(IClientConfig clientConfig) => false;

    public override bool DisposeHttpClientsAfterUse(IClientConfig clientConfig) => false;

    public override string? GetConfigUniqueString(IClientConfig clientConfig) => null;

    private static HttpClient Create(HttpMessageHandler innermost, TimeSpan requestTimeout, bool refuseSdkRetries, HdsS3ConsistencyControl? consistency) =>
        new(new ConsistencyControlHandler(new SendOnceHandler(innermost, refuseSdkRetries, TimeProvider.System), consistency)) { Timeout = requestTimeout };

    private static SocketsHttpHandler Sockets(TimeSpan requestTimeout) => new()
    {
        AllowAutoRedirect = false,
        UseCookies = false,
        AutomaticDecompression = System.Net.DecompressionMethods.None,
        ConnectTimeout = requestTimeout < MaxConnectTimeout ? requestTimeout : MaxConnectTimeout,
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
    };

    private sealed class ForwardingHandler(HttpClient client) : HttpMessageHandler
    {
        // HttpClient refuses a message another HttpClient already sent: forward a copy sharing the (unread) content.
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            using var copy = new HttpRequestMessage(request.Method, request.RequestUri)
            {
                Content = request.Content,
                Version = request.Version,
                VersionPolicy = request.VersionPolicy,
            };
            foreach (var header in request.Headers)
            {
                copy.Headers.TryAddWithoutValidation(header.Key, header.Value);
            }

            foreach (var option in request.Options)
            {
                ((IDictionary<string, object?>)copy.Options)[option.Key] = option.Value;
            }

            var response = await client.SendAsync(copy, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            response.RequestMessage = request;
            copy.Content = null; // the caller owns and disposes the content
            return response;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                client.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
