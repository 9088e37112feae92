namespace Hds.Storage.Backends.S3;

/// <summary>
/// Adds StorageGRID's <c>Consistency-Control</c> header to every S3 request when configured (by the kind of request: read, write,
/// listing). The operation's context headers are not added here: each request carries them itself (<see cref="ContextHeaders"/>).
/// </summary>
internal sealed class ConsistencyControlHandler : DelegatingHandler
{
    public const string ConsistencyControlHeader = "Consistency-Control";

    private readonly HdsS3ConsistencyControl? _consistency;

    public ConsistencyControlHandler(HttpMessageHandler inner, HdsS3ConsistencyControl? consistency = null)
        : base(inner)
    {
        _consistency = consistency is { IsSet: true } ? consistency : null;
    }

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (_consistency?.For(request) is { Length: > 0 } consistency)
        {
            request.Headers.Remove(ConsistencyControlHeader);
            request.Headers.TryAddWithoutValidation(ConsistencyControlHeader, consistency);
        }

        return base.SendAsync(request, cancellationToken);
    }
}
