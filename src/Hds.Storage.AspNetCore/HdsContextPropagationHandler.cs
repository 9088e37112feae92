using System.Globalization;
using System.Security.Cryptography;
using Hds.Storage.Access;

namespace Hds.Storage.AspNetCore;

/// <summary>
/// Outbound handler: adds the current access context (<see cref="HdsAccessScope.Current"/>) to requests to a downstream
/// service, with this service's caller id, a timestamp and, when a key is configured, a single-use nonce and an HMAC signature
/// bound to the request's method and path (or the configured audience).
/// Register with <c>services.AddHttpClient(...).AddHdsContextPropagation(...)</c>.
/// </summary>
public sealed class HdsContextPropagationHandler : DelegatingHandler
{
    private readonly HdsContextPropagationOptions _options;
    private readonly TimeProvider _time;

    /// <summary>Creates the handler.</summary>
    /// <param name="options">The caller id and signing key.</param>
    /// <param name="timeProvider">The clock for timestamps; the system clock when null.</param>
    public HdsContextPropagationHandler(HdsContextPropagationOptions options, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrEmpty(options.CallerId))
        {
            throw new HdsConfigurationException("HdsContextPropagationOptions.CallerId must name this service as downstream services trust it.");
        }

        if (options.SigningKey is { Length: < 32 })
        {
            throw new HdsConfigurationException("HdsContextPropagationOptions.SigningKey must be at least 32 random bytes.");
        }

        _options = options;
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <inheritdoc />
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (HdsAccessScope.Current is { } context)
        {
            var timestamp = _time.GetUtcNow().ToUnixTimeSeconds();
            var nonce = Convert.ToBase64String(RandomNumberGenerator.GetBytes(18)).Replace('+', '-').Replace('/', '_');
            Set(request, HdsContextHeaders.Actor, context.ActorId);
            Set(request, HdsContextHeaders.ActorKind, context.ActorKind);
            Set(request, HdsContextHeaders.Role, context.Role);
            Set(request, HdsContextHeaders.Tenant, context.Tenant);
            Set(request, HdsContextHeaders.Purpose, context.Purpose);
            Set(request, HdsContextHeaders.PatientPseudonym, context.PatientPseudonym);
            Set(request, HdsContextHeaders.CorrelationId, context.CorrelationId);
            Set(request, HdsContextHeaders.Application, context.Application);
            Set(request, HdsPropagationHeaders.Roles, context.Roles.Count > 0 ? string.Join(',', context.Roles) : null);
            Set(request, HdsPropagationHeaders.AllowedPurposes, context.AllowedPurposes is { Count: > 0 } allowed ? string.Join(',', allowed) : null);
            Set(request, HdsPropagationHeaders.Caller, _options.CallerId);
            Set(request, HdsPropagationHeaders.Timestamp, timestamp.ToString(CultureInfo.InvariantCulture));
            if (_options.SigningKey is { } key)
            {
                var target = _options.Audience ?? request.RequestUri?.AbsolutePath ?? "/";
                Set(request, HdsPropagationHeaders.Nonce, nonce);
                Set(request, HdsPropagationHeaders.Signature, ContextSignature.Compute(key, new SignedRequest(_options.CallerId, timestamp, nonce, request.Method.Method, target), context));
            }
        }

        return base.SendAsync(request, cancellationToken);
    }

    private static void Set(HttpRequestMessage request, string name, string? value)
    {
        request.Headers.Remove(name);
        if (!string.IsNullOrEmpty(value))
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }
    }
}
