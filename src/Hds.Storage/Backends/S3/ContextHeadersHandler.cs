using Amazon.Runtime;
using Hds.Storage.Access;

namespace Hds.Storage.Backends.S3;

/// <summary>
/// Adds the pseudonymous access-context headers (<see cref="HdsContextHeaders"/>) of the current operation to every S3 request,
/// so the storage's own audit log can be correlated with the SDK's, and StorageGRID's <c>Consistency-Control</c> header when
/// configured. Not x-amz headers: they need not be signed.
/// </summary>
internal sealed class ContextHeadersHandler : DelegatingHandler
{
    public const string ConsistencyControlHeader = "Consistency-Control";

    private readonly S3ConsistencyControl? _consistency;

    public ContextHeadersHandler(HttpMessageHandler inner, S3ConsistencyControl? consistency = null)
        : base(inner)
    {
        _consistency = consistency is { IsSet: true } ? consistency : null;
    }

    public static void AddHeaders(HttpRequestMessage request, OperationInfo? info)
    {
        if (info is null)
        {
            return;
        }

        var c = info.Context;
        Set(request, HdsContextHeaders.Actor, c.ActorId);
        Set(request, HdsContextHeaders.ActorKind, c.ActorKind);
        Set(request, HdsContextHeaders.Tenant, c.Tenant);
        Set(request, HdsContextHeaders.Purpose, c.Purpose);
        Set(request, HdsContextHeaders.CorrelationId, c.CorrelationId);
        Set(request, HdsContextHeaders.Application, c.Application);
        Set(request, HdsContextHeaders.Operation, info.Operation);
        Set(request, HdsContextHeaders.Node, info.Node);
    }

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        AddHeaders(request, OperationScope.Current);
        if (_consistency?.For(request) is { } consistency)
        {
            Set(request, ConsistencyControlHeader, consistency);
        }

        return base.SendAsync(request, cancellationToken);
    }

    private static void Set(HttpRequestMessage request, string name, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            request.Headers.Remove(name);
            request.Headers.TryAddWithoutValidation(name, value);
        }
    }
}

/// <summary>
/// Gives the AWS SDK HttpClients whose pipeline starts with <see cref="ContextHeadersHandler"/>. Composes with the internal
/// test seam <see cref="S3StorageOptions.HttpClientFactory"/>: its client becomes the handler's inner handler.
/// </summary>
internal sealed class ContextHeadersHttpClientFactory(HttpClientFactory? inner, S3ConsistencyControl? consistency = null) : HttpClientFactory
{
    public override HttpClient CreateHttpClient(IClientConfig clientConfig)
    {
        HttpMessageHandler innermost = inner is null
            ? new SocketsHttpHandler
            {
                AllowAutoRedirect = false,
                UseCookies = false,
                AutomaticDecompression = System.Net.DecompressionMethods.None,
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
                MaxConnectionsPerServer = clientConfig.MaxConnectionsPerServer ?? int.MaxValue,
            }
            : new ForwardingHandler(inner.CreateHttpClient(clientConfig));
        return new HttpClient(new ContextHeadersHandler(innermost, consistency))
        {
            Timeout = clientConfig.Timeout ?? TimeSpan.FromSeconds(100),
        };
    }

    public override bool UseSDKHttpClientCaching(IClientConfig clientConfig) => inner?.UseSDKHttpClientCaching(clientConfig) ?? true;

    public override bool DisposeHttpClientsAfterUse(IClientConfig clientConfig) => inner?.DisposeHttpClientsAfterUse(clientConfig) ?? false;

    public override string? GetConfigUniqueString(IClientConfig clientConfig) => inner?.GetConfigUniqueString(clientConfig);

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
